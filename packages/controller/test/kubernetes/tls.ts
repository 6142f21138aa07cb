// A throwaway CA and a serving certificate for 127.0.0.1 signed by it (openssl, in a temp dir), and the
// ServiceAccount directory a pod would have (ca.crt, token, namespace), for the fake API server over HTTPS.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  dir: string;
  /** The ServiceAccount directory: ca.crt, token, namespace. */
  serviceAccountDir: string;
  cert: string;
  key: string;
  ca: string;
  /** An unrelated CA (a client trusting it must refuse the server). */
  otherCa: string;
  /** Replaces the token file the way the kubelet does (a new file renamed over the old one). */
  rotateToken(token: string): void;
  cleanup(): void;
}

function openssl(cwd: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

export function makePki(token: string): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'gannet-pki-'));
  const sa = join(dir, 'serviceaccount');
  execFileSync('mkdir', ['-p', sa]);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(dir, 'req', '-x509', ...ec, '-days', '2', '-subj', '/CN=test-ca', '-keyout', 'ca.key', '-out', 'ca.crt');
  openssl(dir, 'req', '-x509', ...ec, '-days', '2', '-subj', '/CN=other-ca', '-keyout', 'o.key', '-out', 'o.crt');
  openssl(dir, 'req', ...ec, '-subj', '/CN=kube-apiserver', '-keyout', 'server.key', '-out', 'server.csr');
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:kubernetes.default.svc\n');
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'ext.cnf',
    '-out',
    'server.crt',
  );
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  writeFileSync(join(sa, 'ca.crt'), read('ca.crt'));
  writeFileSync(join(sa, 'token'), token);
  writeFileSync(join(sa, 'namespace'), 'gannet-system');
  return {
    dir,
    serviceAccountDir: sa,
    cert: read('server.crt'),
    key: read('server.key'),
    ca: read('ca.crt'),
    otherCa: read('o.crt'),
    rotateToken(t: string) {
      const tmp = join(sa, '.token.new');
      writeFileSync(tmp, t);
      renameSync(tmp, join(sa, 'token'));
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

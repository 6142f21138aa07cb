// Where Kubernetes mode finds its API server and its node name.
// In-cluster, the ServiceAccount token is a projected volume the kubelet rotates (every hour or so, by swapping the
// file): the token is read again whenever the file changes (a stat per request), not once at start and not only every
// 60 s as @kubernetes/client-node's own FileAuth does, so a rotated token is used from the next request on.
import { readFileSync, statSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { join } from 'node:path';
import { KubeConfig, type User } from '@kubernetes/client-node';
import { KubernetesError } from './kubernetes-error.js';

/** Where the kubelet mounts the pod's ServiceAccount credentials. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const TOKEN_PROVIDER = 'gannet-token-file';

export interface InClusterOptions {
  /** Default SERVICE_ACCOUNT_DIR (ca.crt and token in it). */
  serviceAccountDir?: string;
  /** KUBERNETES_SERVICE_HOST and _PORT; default process.env. */
  env?: NodeJS.ProcessEnv;
}

/** Bearer token from a file, read again when the file's identity, size or mtime changes. */
export class TokenFileAuth {
  private seen = '';
  private token = '';
  /** How many times the file was read (tests). */
  reads = 0;

  isAuthProvider(user: User): boolean {
    return user.authProvider?.name === TOKEN_PROVIDER;
  }

  async applyAuthentication(user: User, opts: { headers?: Record<string, unknown> }): Promise<void> {
    const file = String(user.authProvider?.config?.tokenPath ?? '');
    try {
      const st = statSync(file);
      const key = `${st.ino}:${st.size}:${st.mtimeMs}`;
      if (key !== this.seen) {
        this.token = readFileSync(file, 'utf8').trim();
        this.seen = key;
        this.reads++;
      }
    } catch (e) {
      throw new KubernetesError(
        'ERR_GANNET_K8S_CONFIG',
        `ServiceAccount token ${file}: ${(e as Error).message.split('\n')[0]}`,
        { cause: e },
      );
    }
    opts.headers ??= {};
    opts.headers.Authorization = `Bearer ${this.token}`;
  }
}

function inCluster(kc: KubeConfig, o: InClusterOptions): void {
  const env = o.env ?? process.env;
  const dir = o.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) {
    throw new KubernetesError(
      'ERR_GANNET_K8S_CONFIG',
      'not running in a pod (KUBERNETES_SERVICE_HOST unset); pass --kubeconfig FILE',
    );
  }
  const scheme = ['80', '8080', '8001'].includes(port) ? 'http' : 'https';
  kc.addAuthenticator(new TokenFileAuth());
  kc.loadFromClusterAndUser(
    {
      name: 'inCluster',
      server: `${scheme}://${isIPv6(host) ? `[${host}]` : host}:${port}`,
      caFile: join(dir, 'ca.crt'),
      skipTLSVerify: false,
    },
    { name: 'inClusterUser', authProvider: { name: TOKEN_PROVIDER, config: { tokenPath: join(dir, 'token') } } },
  );
}

/** In-cluster (the pod's ServiceAccount) when `file` is absent, else that kubeconfig file. */
export function loadKubeConfig(file?: string, cluster: InClusterOptions = {}): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (file) kc.loadFromFile(file);
    else inCluster(kc, cluster);
  } catch (e) {
    if (e instanceof KubernetesError) throw e;
    const where = file ? `kubeconfig ${file}` : 'in-cluster config';
    throw new KubernetesError('ERR_GANNET_K8S_CONFIG', `${where}: ${(e as Error).message}`, { cause: e });
  }
  const server = kc.getCurrentCluster()?.server;
  if (!server || server.includes('undefined')) {
    throw new KubernetesError('ERR_GANNET_K8S_CONFIG', `kubeconfig ${file}: no current cluster with a server`);
  }
  return kc;
}

/** NODE_NAME from the environment (the DaemonSet sets it from spec.nodeName). */
export function nodeNameFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const name = env.NODE_NAME?.trim();
  if (!name)
    throw new KubernetesError(
      'ERR_GANNET_K8S_CONFIG',
      'NODE_NAME is not set (the DaemonSet sets it from spec.nodeName)',
    );
  return name;
}

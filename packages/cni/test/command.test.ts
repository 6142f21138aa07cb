import assert from 'node:assert/strict';
import { runCommand } from '../src/command.js';
import { CniError } from '../src/errors.js';

// These run `cat` and `sh`: plain processes, no kernel networking.
describe('command: running helper programs', () => {
  it('runCommand: status and output, and a missing program as a clear CniError', () => {
    assert.deepEqual(runCommand('cat', [], 'x'), { status: 0, stdout: 'x', stderr: '' });
    assert.throws(
      () => runCommand('gannet-no-such-program', []),
      (e: unknown) =>
        e instanceof CniError && e.code === 5 && /gannet-no-such-program not found on PATH/.test(e.message),
    );
    assert.deepEqual(runCommand('sh', ['-c', 'echo oops >&2; exit 3']), { status: 3, stdout: '', stderr: 'oops\n' });
  });
});

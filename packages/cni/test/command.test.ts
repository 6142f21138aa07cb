import assert from 'node:assert/strict';
import { runCommand, startCommand, startOverRun } from '../src/command.js';
import { CniError } from '../src/errors.js';

// These run `cat` and `sh`: plain processes, no kernel networking.
describe('command: running helper programs', () => {
  it('startCommand: starts at once, takes its stdin later, returns status and output', async () => {
    const cat = startCommand('cat', []);
    const r = await cat.finish('link show\n');
    assert.deepEqual(r, { status: 0, stdout: 'link show\n', stderr: '' });
    assert.equal(await cat.finish('ignored'), r, 'finish is once');
  });

  it('startCommand: exit status and stderr of a failing program', async () => {
    const r = await startCommand('sh', ['-c', 'echo oops >&2; exit 3']).finish('');
    assert.deepEqual(r, { status: 3, stdout: '', stderr: 'oops\n' });
  });

  it('startCommand: cancel ends a program that waits on stdin; a missing program is a clear CniError', async () => {
    const cat = startCommand('cat', []);
    cat.cancel();
    assert.equal((await cat.finish('too late')).stdout, '', 'nothing written after cancel');
    await assert.rejects(
      startCommand('gannet-no-such-program', []).finish(''),
      (e: unknown) =>
        e instanceof CniError && e.code === 5 && /gannet-no-such-program not found on PATH/.test(e.message),
    );
    startCommand('gannet-no-such-program', []).cancel(); // never observed: must not crash the process
  });

  it('runCommand: the same, synchronously', () => {
    assert.deepEqual(runCommand('cat', [], 'x'), { status: 0, stdout: 'x', stderr: '' });
    assert.throws(() => runCommand('gannet-no-such-program', []), /gannet-no-such-program not found on PATH/);
  });

  it('startOverRun: a double that runs on finish, once', async () => {
    let runs = 0;
    const start = startOverRun((cmd, args, input) => {
      runs++;
      return { status: 0, stdout: `${cmd} ${args.join(' ')} <${input}`, stderr: '' };
    });
    const c = start('ip', ['-batch', '-']);
    assert.equal(runs, 0);
    assert.equal((await c.finish('a')).stdout, 'ip -batch - <a');
    await c.finish('b');
    assert.equal(runs, 1);
  });
});

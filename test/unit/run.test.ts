// The one process runner (provision/run.ts): what a command gets (no stdin unless asked, the
// environment), where its output goes, and the one failure policy with its exit statuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CommandError, EX } from '../../provision/errors.ts';
import { describeArgv, execaOptions, run } from '../../provision/run.ts';

const sh = (script: string, ...args: string[]) => ['sh', '-c', script, 'sh', ...args];

test('a command gets /dev/null as stdin unless given input, and input when given', async () => {
  assert.equal((await run(sh('readlink /proc/self/fd/0'), { timeoutMs: 10_000 })).stdout, '/dev/null');
  assert.equal((await run(['cat'], { timeoutMs: 10_000, input: 'line one\nline two' })).stdout, 'line one\nline two');
  assert.equal(execaOptions({ timeoutMs: 1, output: 'interactive' }).stdin, 'inherit', 'only a person\'s own command shares our stdin');
});

test('env adds to the environment; cleanEnv makes it the whole environment', async () => {
  process.env.CHATLAB_RUN_TEST = 'inherited';
  try {
    const added = await run(sh('echo "$CHATLAB_RUN_TEST $EXTRA"'), { timeoutMs: 10_000, env: { EXTRA: 'added' } });
    assert.equal(added.stdout, 'inherited added');
    const clean = await run(['/usr/bin/env'], { timeoutMs: 10_000, env: { ONLY: 'this' }, cleanEnv: true });
    assert.deepEqual(clean.stdout.split('\n'), ['ONLY=this']);
  } finally {
    delete process.env.CHATLAB_RUN_TEST;
  }
});

test('a failed command is a CommandError (71) naming the command and its last three lines on stderr', async () => {
  const error = await run(sh('for i in 1 2 3 4; do echo "line $i" >&2; done; exit 3'), { timeoutMs: 10_000 }).then(
    () => assert.fail('no error'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof CommandError);
  assert.equal(error.exitCode, EX.osErr);
  assert.equal(error.message, 'sh -c for i in 1 2 3 4; do echo "line $i" >&2; done; exit 3 sh failed: line 2 | line 3 | line 4');
  const silent = await run(sh('exit 4'), { timeoutMs: 10_000 }).catch((e: Error) => e);
  assert.match(String(silent), /failed: exit 4$/);
});

test('unchecked, the status is the answer: a non-zero exit and a signal (128 + N) come back', async () => {
  const r = await run(sh('echo out; echo err >&2; exit 5'), { timeoutMs: 10_000, check: false });
  assert.deepEqual([r.exitCode, r.stdout, r.stderr, r.timedOut], [5, 'out', 'err', false]);
  assert.equal((await run(sh('kill -9 $$'), { timeoutMs: 10_000, check: false })).exitCode, 128 + 9);
});

test('the time limit ends a command: checked it is a 75, unchecked it comes back timed out', async () => {
  const started = performance.now();
  const error = await run(['sleep', '30'], { timeoutMs: 200 }).catch((e: unknown) => e);
  assert.ok(error instanceof CommandError && error.exitCode === EX.tempFail, String(error));
  assert.equal(error.message, 'sleep 30 did not finish within 0.2 s');
  const r = await run(['sleep', '30'], { timeoutMs: 200, check: false });
  assert.equal(r.timedOut, true);
  assert.ok(performance.now() - started < 10_000, 'SIGTERM ended it, long before it would have');
});

test('a command that cannot start throws even unchecked: 69 when it is not installed', async () => {
  for (const check of [true, false]) {
    const error = await run(['chatlab-no-such-command', 'x'], { timeoutMs: 10_000, check }).catch((e: unknown) => e);
    assert.ok(error instanceof CommandError && error.exitCode === EX.unavailable, String(error));
    assert.equal(error.message, 'cannot run chatlab-no-such-command: command not found');
  }
});

test('a log file gets stdout and stderr appended; nothing is captured', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'chatlab-run-'));
  try {
    const logFile = path.join(dir, 'build.log');
    await run(sh('echo one; echo two >&2'), { timeoutMs: 10_000, output: { logFile } });
    const r = await run(sh('echo three'), { timeoutMs: 10_000, output: { logFile } });
    assert.equal(r.stdout, '');
    assert.deepEqual((await readFile(logFile, 'utf8')).split('\n').sort(), ['', 'one', 'three', 'two']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("an error names a lab host's command after the namespace, not the bind mounts between", () => {
  const argv = ['ip', 'netns', 'exec', 'chatlab-db', 'sh', '-ec', 'x', 'chatlab-enter', '/a', '/b', '--', 'mariadb', '-N', 'ejabberd', '-e', 'SELECT'];
  assert.equal(describeArgv(argv), 'ip netns exec chatlab-db ... mariadb -N ejabberd');
  assert.equal(describeArgv(['ip', 'link', 'del', 'x']), 'ip link del x');
  assert.equal(describeArgv(['openssl', 'req', '-x509', '-newkey', 'ec']), 'openssl req -x509 -newkey ...');
});

test('given an abort signal, when it fires, then the command is ended at once and its result returned (check: false)', async () => {
  const stop = new AbortController();
  setTimeout(() => stop.abort(), 100);
  const started = performance.now();
  const result = await run(['sleep', '30'], { timeoutMs: 60_000, check: false, signal: stop.signal });
  assert.ok(performance.now() - started < 10_000, 'ended long before sleep or the time limit would have');
  assert.notEqual(result.exitCode, 0);
});

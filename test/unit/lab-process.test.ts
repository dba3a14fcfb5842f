// The lab tests' process harness (test/lab/process.ts) against sh: one result whatever the exit,
// stdin and environment as given, every run bounded, a background process stopped on cue.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BackgroundProcess, runProcess } from '../lab/process.ts';

test('a run is one result whatever its exit: status, output untrimmed, timing', async () => {
  const r = await runProcess(['sh', '-c', 'echo out; echo err >&2; exit 3'], { timeoutMs: 5_000 });
  assert.deepEqual([r.exitCode, r.stdout, r.stderr, r.timedOut, r.signal], [3, 'out\n', 'err\n', false, undefined]);
  assert.ok(r.ms >= 0);
});

test('stdin is empty unless input is given, and then closed after it', async () => {
  assert.equal((await runProcess(['cat'], { timeoutMs: 5_000 })).stdout, '');
  assert.equal((await runProcess(['cat'], { input: 'a\nb', timeoutMs: 5_000 })).stdout, 'a\nb');
});

test('an environment given is the whole environment; none given, this one is inherited', async () => {
  const given = await runProcess(['/bin/sh', '-c', 'echo "${HOME:-unset} $ONLY"'], { env: { ONLY: 'this' }, timeoutMs: 5_000 });
  assert.equal(given.stdout, 'unset this\n');
  const inherited = await runProcess(['sh', '-c', 'echo "$HOME"'], { timeoutMs: 5_000 });
  assert.equal(inherited.stdout, `${process.env.HOME}\n`);
});

test('a run past its bound is killed and says so', async () => {
  const r = await runProcess(['sleep', '10'], { timeoutMs: 200 });
  assert.equal(r.timedOut, true);
  assert.equal(r.exitCode, undefined);
  assert.equal(r.signal, 'SIGTERM');
  assert.ok(r.ms < 5_000);
});

test('a background process shows its output as it comes and is killed at an exact line', async () => {
  const child = new BackgroundProcess(['sh', '-c', 'i=0; while :; do i=$((i+1)); echo "line $i"; sleep 0.01; done'], { timeoutMs: 10_000 });
  child.killAtLine(5);
  const r = await child.exited;
  assert.equal(r.signal, 'SIGKILL');
  assert.deepEqual(r.stdout.split('\n').slice(0, 5), ['line 1', 'line 2', 'line 3', 'line 4', 'line 5']);
  assert.equal(r.stdout, child.stdout);
});

test('stop() asks with SIGTERM, and kills one that does not listen once its time is up', async () => {
  const polite = new BackgroundProcess(['sleep', '10'], { timeoutMs: 10_000 });
  assert.equal((await polite.stop()).signal, 'SIGTERM');
  const stubborn = new BackgroundProcess(['sh', '-c', 'trap "" TERM; echo ready; while :; do sleep 0.05; done'], { timeoutMs: 10_000 });
  while (!stubborn.stdout.includes('ready')) await new Promise((r) => setTimeout(r, 10));
  const r = await stubborn.stop(300);
  assert.equal(r.signal, 'SIGKILL');
});

// `chatlab load` options: defaults, bounds, the kill spec.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULTS, LIMITS, parseLoadArgs } from '../../provision/load/options.ts';

test('defaults give a small, short run', () => {
  assert.deepEqual(parseLoadArgs([], 'x'), { ...DEFAULTS, lab: 'x', kill: undefined, outDir: undefined });
});

test('every knob parses; --kill is HOST@SECONDS', () => {
  const o = parseLoadArgs(['--server', 'prosody', '--users', '1500', '--rate', '40', '--duration', '90', '--stay', '30',
    '--message-interval', '1.5', '--workers', '2', '--timeout', '20', '--kill', 'ejabberd2@45', '--out', '/tmp/x']);
  assert.deepEqual(o, { lab: undefined, server: 'prosody', users: 1500, rate: 40, durationS: 90, stayS: 30, messageIntervalS: 1.5, workers: 2, timeoutS: 20, kill: { host: 'ejabberd2', atS: 45 }, outDir: '/tmp/x' });
});

test('runs are bounded: too many users, too long, a kill after the end, junk are usage errors', () => {
  for (const args of [['--users', String(LIMITS.users + 1)], ['--duration', String(LIMITS.durationS + 1)], ['--duration', '10', '--kill', 'ejabberd1@10'],
    ['--kill', 'ejabberd1'], ['--rate', 'fast'], ['--server', 'openfire'], ['--workers', '0'], ['extra']]) {
    assert.throws(() => parseLoadArgs(args), (e: Error & { exitCode?: number }) => e.exitCode === 64, args.join(' '));
  }
});

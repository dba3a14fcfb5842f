// Per-second counts of several workers merged into one series and one summary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyTick, mergeTicks, peakRate, percentile, summarize, type Tick } from '../../provision/load/metrics.ts';

const tick = (second: number, fields: Partial<Tick>): Tick => ({ ...emptyTick(second), ...fields });

test('nearest-rank percentiles', () => {
  const values = Array.from({ length: 100 }, (_, i) => 100 - i);
  assert.equal(percentile(values, 50), 50);
  assert.equal(percentile(values, 99), 99);
  assert.equal(percentile(values, 100), 100);
  assert.equal(percentile([7], 1), 7);
  assert.equal(percentile([], 50), undefined);
});

test('workers are summed per second; a missing second keeps that worker\'s last session count', () => {
  const merged = mergeTicks([
    [tick(0, { sessions: 5, logins: 5, received: 1, latencyMs: [3] }), tick(1, { sessions: 6, logins: 1 }), tick(2, { sessions: 6 })],
    [tick(0, { sessions: 2, logins: 2, errors: { login: 1 } }), tick(2, { sessions: 4, received: 2, latencyMs: [1, 2] })],
  ]);
  assert.deepEqual(merged.map((t) => t.sessions), [7, 8, 10]);
  assert.deepEqual(merged.map((t) => t.logins), [7, 1, 0]);
  assert.deepEqual(merged[2]!.latencyMs, [1, 2]);
  assert.deepEqual(merged[0]!.errors, { login: 1 });
});

test('peak rate is the best 5-second average', () => {
  assert.equal(peakRate([0, 10, 10, 10, 10, 10, 0, 0]), 10);
  assert.equal(peakRate([0, 0, 0, 0, 0, 0, 0, 100]), 20);
  assert.equal(peakRate([4]), 4);
  assert.equal(peakRate([]), 0);
});

test('summary: peaks, totals, percentiles, errors by kind', () => {
  const s = summarize([tick(0, { sessions: 3, logins: 3, loginMs: [10, 20, 30], sent: 4, received: 4, latencyMs: [1, 2, 3, 4] }),
    tick(1, { sessions: 2, errors: { lost: 2, stanza: 1 }, drops: 1, reconnects: 1 })]);
  assert.equal(s.peakSessions, 3);
  assert.equal(s.logins, 3);
  assert.equal(s.loginMs.p50, 20);
  assert.equal(s.latencyMs.max, 4);
  assert.equal(s.errorTotal, 3);
  assert.deepEqual([s.drops, s.reconnects], [1, 1]);
});

// The report as read: the table's key lines and a well-formed SVG with one panel per figure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULTS } from '../../provision/load/options.ts';
import { emptyTick, mergeTicks, summarize } from '../../provision/load/metrics.ts';
import { formatTable, seriesPoints, type LoadReport } from '../../provision/load/report.ts';
import { chartSvg, niceMax } from '../../provision/load/chart.ts';

const ticks = mergeTicks([[
  { ...emptyTick(0), sessions: 2, logins: 2, loginMs: [50, 70] },
  { ...emptyTick(1), sessions: 2, sent: 3, received: 2, latencyMs: [4, 6], errors: { lost: 1 } },
]]);
const report: LoadReport = {
  date: '2026-01-01T00:00:00.000Z',
  machine: 'test',
  lab: 'load',
  ejabberdNodes: 2,
  target: '192.168.88.10:5222',
  options: { ...DEFAULTS, users: 2 },
  accounts: { created: 2, seconds: 0.5 },
  summary: summarize(ticks),
  series: seriesPoints(ticks),
  processes: [{ host: 'ejabberd1', name: 'beam.smp', pid: 7, cpuMeanPct: 40, cpuPeakPct: 90, rssPeakMb: 120, exited: true, cpuPct: [0, 40] }],
  haproxy: { servers: [{ server: 'ejabberd/ejabberd1', status: 'UP', sessions: 2, downs: 0 }], markedDown: 0, sessionsPerServer: { 'ejabberd/ejabberd1': [1, 2] } },
  errorSamples: ['lost: message w0-1 to load2 not delivered within 15 s'],
};

test('the table names sessions, rates, latency, errors by kind, HAProxy and each server process', () => {
  const table = formatTable(report);
  assert.match(table, /concurrent sessions \(peak\)\s+2/);
  assert.match(table, /errors\s+1 \(lost 1\)/);
  assert.match(table, /marked down during the run: 0/);
  assert.match(table, /ejabberd1\s+beam\.smp\[7\]\s+40 %\s+90 %\s+120 MB {2}EXITED/);
  assert.match(table, /first errors:\n {2}lost: message w0-1/);
});

test('the chart is one SVG with the four panels and a legend line per series', () => {
  const svg = chartSvg(report);
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(svg, /<\/svg>\n$/);
  for (const title of ['concurrent sessions', 'rates per second', 'latency send -&gt; receive', 'CPU per lab host']) assert.ok(svg.includes(title), title);
  assert.ok(svg.includes('ejabberd/ejabberd1'));
  assert.equal(svg.match(/<path /g)?.length, 2 + 3 + 2 + 1);
});

test('axis maxima are round numbers', () => {
  assert.deepEqual([0, 0.3, 7, 10, 11, 2300].map(niceMax), [1, 0.5, 10, 10, 20, 5000]);
});

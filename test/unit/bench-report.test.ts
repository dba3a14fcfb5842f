// The bench's pure parts: statistics, the table and the SVG. No timing is asserted anywhere:
// benchmarks are not tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alternate, formatKb, formatMs, formatRatio, median, parseIntList, perSecond, procStatusKb, ratio } from '../../bench/stats.ts';
import { markdownTable, tableRows, type BenchResults } from '../../bench/results.ts';
import { benchPanels, chartSvg, niceMax } from '../../bench/chart.ts';

test('median of odd and even counts, unsorted input untouched, NaN when empty', () => {
  const input = [30, 10, 20];
  assert.equal(median(input), 20);
  assert.deepEqual(input, [30, 10, 20]);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

test('ratio is NaN rather than Infinity or 0 when a side is missing', () => {
  assert.equal(ratio(300, 200), 1.5);
  assert.ok(Number.isNaN(ratio(300, 0)));
  assert.ok(Number.isNaN(ratio(Number.NaN, 200)));
  assert.equal(formatRatio(ratio(1, 0)), 'n/a');
});

test('alternate swaps the order on every other run', () => {
  assert.deepEqual(alternate(0, 'a', 'b'), ['a', 'b']);
  assert.deepEqual(alternate(1, 'a', 'b'), ['b', 'a']);
  assert.deepEqual(alternate(2, 'a', 'b'), ['a', 'b']);
});

test('units: ms below 10 s, seconds above; kB as MB; rates skip nothing shown', () => {
  assert.equal(formatMs(534.4), '534 ms');
  assert.equal(formatMs(17_800), '17.8 s');
  assert.equal(formatKb(51_200), '50.0 MB');
  assert.equal(perSecond(1000, 2000), 500);
  assert.ok(Number.isNaN(perSecond(0, 500)));
});

test('parseIntList accepts numbers with commas and rejects anything else', () => {
  assert.deepEqual(parseIntList('0, 1000,10000', 'X'), [0, 1000, 10_000]);
  assert.throws(() => parseIntList('1e4', 'BENCH_UNREAD'), /BENCH_UNREAD/);
});

test('procStatusKb reads VmRSS and VmHWM from /proc/PID/status text', () => {
  const status = 'Name:\tnode\nVmHWM:\t   51234 kB\nVmRSS:\t   49000 kB\n';
  assert.equal(procStatusKb(status, 'VmHWM'), 51_234);
  assert.equal(procStatusKb(status, 'VmRSS'), 49_000);
  assert.ok(Number.isNaN(procStatusKb('Name:\tx\n', 'VmRSS')));
});

const sample: BenchResults = {
  date: '2026-01-02T03:04:05.000Z',
  machine: { cores: 2, memoryGiB: 24, cpu: 'cpu', node: '20.0.0', kernel: '6.1' },
  command: 'npm run bench',
  config: {},
  send: [{ server: 'ejabberd', nodes: 2, rsxccMs: [500, 520, 510], peerMs: [200, 210, 205], floorMs: [250], runs: 3, delivered: { rsxcc: 3, 'go-sendxmpp': 3 } }],
  drain: [
    { server: 'ejabberd', nodes: 2, tool: 'rsxcc', waiting: 0, wallMs: [600], shown: 0, peakRssKb: 50_000 },
    { server: 'ejabberd', nodes: 2, tool: 'rsxcc', waiting: 1000, wallMs: [2000], shown: 1000, peakRssKb: 60_000 },
    { server: 'ejabberd', nodes: 2, tool: 'go-sendxmpp', waiting: 1000, wallMs: [1000], shown: 1000, peakRssKb: 14_000 },
  ],
  listen: [
    { server: 'prosody', tool: 'rsxcc', idleS: 60, loadS: 20, rate: 500, idleRssKb: 50_000, loadPeakRssKb: 58_000, sent: 10_000, received: 10_000, duplicates: 0, serverConfirmed: true },
    { server: 'prosody', tool: 'go-sendxmpp', idleS: 60, loadS: 20, rate: 500, idleRssKb: 12_000, loadPeakRssKb: 15_000, sent: 10_000, received: 9_990, duplicates: 0, serverConfirmed: true },
  ],
  lab: { nodes: 2, upWipedMs: [7000, 8000, 9000], upRunningMs: [1200, 1300, 1250] },
  notes: [],
};

test('the table pairs each rsxcc figure with the peer in the same run, and the ratio', () => {
  const rows = tableRows(sample);
  const send = rows.find((r) => r.what.startsWith('send 1 message'))!;
  assert.deepEqual([send.ours, send.peer, send.ratio], ['510 ms', '205 ms', '2.49x']);
  const empty = rows.find((r) => r.what.startsWith('unread, 0 waiting'))!;
  assert.equal(empty.ratio, '1.18x', 'empty unread is compared with rsxcc\'s own send');
  const drain = rows.find((r) => r.what.startsWith('unread, 1,000 waiting: time'))!;
  assert.deepEqual([drain.ours, drain.peer, drain.ratio], ['2000 ms, 500 msg/s', '1000 ms, 1,000 msg/s', '2.00x']);
  const rss = rows.find((r) => r.what.startsWith('unread, 1,000 waiting: peak RSS'))!;
  assert.match(rss.ours, /\+9\.8 MB over 0 waiting/);
  const lost = rows.find((r) => r.what === 'continuous: messages lost')!;
  assert.deepEqual([lost.ours, lost.peer], ['0 of 10,000', '10 of 10,000']);
  assert.equal(rows.at(-1)!.ours, '1250 ms');
});

test('markdownTable escapes pipes and has one line per row plus header and rule', () => {
  const table = markdownTable([{ what: 'a|b', where: 'w', ours: '1', peer: '2', ratio: '', target: '' }]);
  const lines = table.split('\n');
  assert.equal(lines.length, 3);
  assert.match(lines[2]!, /a\\\|b/);
});

test('niceMax rounds up to 1, 2 or 5 times a power of ten', () => {
  assert.equal(niceMax(0), 1);
  assert.equal(niceMax(430), 500);
  assert.equal(niceMax(1200), 2000);
  assert.equal(niceMax(100), 100);
});

test('the chart has a send panel and a drain panel with one bar per tool and group', () => {
  const panels = benchPanels(sample);
  assert.deepEqual(panels[0]!.groups, [{ label: 'ejabberd x2', values: [510, 205] }]);
  assert.deepEqual(panels[1]!.groups, [{ label: 'ejabberd x2, 1000', values: [500, 1000] }]);
  const svg = chartSvg(panels);
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.equal(svg.match(/<rect [^>]*fill="#1f77b4"><title>/g)?.length, 2);
  assert.match(svg, /go-sendxmpp/);
});

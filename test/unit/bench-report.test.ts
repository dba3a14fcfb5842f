// The bench's pure parts: statistics, the table and the SVG. No timing is asserted anywhere:
// benchmarks are not tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatKb, formatMs, formatRatio, median, parseIntList, perSecond, procStatusKb, ratio, rotate } from '../../bench/stats.ts';
import { markdownTable, tableRows, type BenchResults, type DrainResult } from '../../bench/results.ts';
import { perMessageUs } from '../../bench/drain-rows.ts';
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

test('rotate gives each tool each place in turn: two tools alternate', () => {
  assert.deepEqual([0, 1, 2].map((run) => rotate(run, ['a', 'b'])), [['a', 'b'], ['b', 'a'], ['a', 'b']]);
  assert.deepEqual([0, 1, 2, 3].map((run) => rotate(run, ['a', 'b', 'c'])), [['a', 'b', 'c'], ['b', 'c', 'a'], ['c', 'a', 'b'], ['a', 'b', 'c']]);
  assert.deepEqual(rotate(5, []), []);
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
  send: [
    { server: 'ejabberd', nodes: 2, target: 'local', ms: { rsxcc: [500, 520, 510], 'go-sendxmpp': [200, 210, 205] }, floorMs: [250], runs: 3, delivered: { rsxcc: 3, 'go-sendxmpp': 3 } },
    { server: 'ejabberd', nodes: 2, target: 'room', ms: { rsxcc: [600, 610, 620], 'go-sendxmpp': [300, 300, 300] }, floorMs: [250], runs: 3, delivered: {} },
  ],
  drain: [
    { server: 'ejabberd', nodes: 2, tool: 'rsxcc', waiting: 0, wallMs: [600], shown: 0, peakRssKb: 50_000 },
    { server: 'ejabberd', nodes: 2, tool: 'rsxcc', waiting: 1000, wallMs: [2000], shown: 1000, peakRssKb: 60_000 },
    { server: 'ejabberd', nodes: 2, tool: 'go-sendxmpp', waiting: 1000, wallMs: [1000], shown: 1000, peakRssKb: 14_000 },
  ],
  respond: [{ server: 'prosody', requests: 10000, answered: 10000, ms: 50_000, idleS: 60, idleRssKb: 45_000, peakRssKb: 60_000, afterRssKb: 52_000 }],
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
  const room = rows.find((r) => r.what.startsWith('send 1 message to a room'))!;
  assert.deepEqual([room.ours, room.peer, room.ratio], ['610 ms', '300 ms', '2.03x'], "a room send stands beside go-sendxmpp's -c");
  assert.equal(rows.filter((r) => r.what === 'messages the recipient had afterwards').length, 1, 'delivery counted for the local send only');
  const answered = rows.find((r) => r.what.startsWith('responder: 10,000 requests'))!;
  assert.equal(answered.ours, '10,000 in 50.0 s, 200/s');
});

/** The same run with the baseline beside it: slower sends and drains before, more memory now. */
const withBaseline: BenchResults = {
  ...sample,
  send: sample.send.map((s) => ({ ...s, ms: { ...s.ms, 'rsxcc-baseline': [600, 640, 620] }, delivered: { ...s.delivered, 'rsxcc-baseline': 2 } })),
  drain: [
    ...sample.drain,
    { server: 'ejabberd', nodes: 2, tool: 'rsxcc-baseline', waiting: 0, wallMs: [500], shown: 0, peakRssKb: 50_000 },
    { server: 'ejabberd', nodes: 2, tool: 'rsxcc-baseline', waiting: 1000, wallMs: [2500], shown: 1000, peakRssKb: 48_000 },
  ],
  respond: [{ server: 'prosody', requests: 10000, answered: 10000, ms: 50_000, idleS: 60, idleRssKb: 45_000, peakRssKb: 60_000, afterRssKb: 52_000 }],
  listen: [...sample.listen, { ...sample.listen[0]!, tool: 'rsxcc-baseline', idleRssKb: 40_000, received: 9_999 }],
};

test('with a baseline, each figure of rsxcc also stands beside the baseline of the same run, with rsxcc\'s ratio to it', () => {
  const rows = tableRows(withBaseline);
  const row = (what: string) => rows.find((r) => r.what.startsWith(what))!;
  const cells = (what: string) => [row(what).baseline, row(what).vsBaseline];
  assert.deepEqual(cells('send 1 message'), ['620 ms', '0.82x']);
  assert.deepEqual(cells('messages the recipient had'), ['2/3', '']);
  assert.deepEqual(cells('unread, 0 waiting'), ['500 ms, 48.8 MB', '1.20x']);
  assert.deepEqual(cells('unread, 1,000 waiting: time'), ['2500 ms, 400 msg/s', '0.80x']);
  assert.deepEqual(cells('unread, 1,000 waiting: peak RSS'), ['46.9 MB', '1.25x']);
  assert.deepEqual(cells('continuous: RSS idle'), ['39.1 MB', '1.25x']);
  assert.deepEqual(cells('continuous: peak RSS'), ['56.6 MB', '1.00x']);
  assert.deepEqual(cells('continuous: messages lost'), ['1 of 10,000', '']);
  assert.deepEqual(cells('`node -e 0`'), [undefined, undefined], 'the floor has no baseline');
  assert.deepEqual([row('send 1 message').peer, row('send 1 message').ratio], ['205 ms', '2.49x'], 'the peer columns as without a baseline');
});

test('the baseline\'s two columns appear only in a run that had a baseline', () => {
  const header = (results: BenchResults) => markdownTable(tableRows(results)).split('\n')[0];
  assert.equal(header(sample), '| measure | server | rsxcc | go-sendxmpp | ratio | target |');
  assert.equal(header(withBaseline), '| measure | server | rsxcc | go-sendxmpp | ratio | rsxcc-baseline | ratio to baseline | target |');
  const floor = markdownTable(tableRows(withBaseline)).split('\n').find((line) => line.includes('node -e 0'))!;
  assert.equal(floor.split('|').length, header(withBaseline)!.split('|').length, 'a row without baseline figures keeps its cells in place');
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

test('µs a message after login is the slope between the smallest and largest drain, so start-up cancels out', () => {
  const drain = (waiting: number, ms: number, shown = waiting): DrainResult => ({ server: 'prosody', nodes: 2, tool: 'rsxcc', waiting, wallMs: [ms], shown, peakRssKb: 50_000 });
  assert.equal(perMessageUs([drain(0, 100), drain(10_000, 1_000), drain(1000, 190)]), 90);
  assert.ok(Number.isNaN(perMessageUs([drain(0, 100), drain(1000, 190)])), 'one drain with messages gives no slope');
  assert.ok(Number.isNaN(perMessageUs([drain(1000, 190), drain(10_000, 1_000, 9_000)])), 'a drain that stopped short is no figure');
});

test('given drains of 1,000 and 10,000, the table has each tool\'s cost a message, the targets and the Node floor', () => {
  const floorRssKb = 40_000;
  const more: BenchResults = {
    ...sample,
    drain: [
      ...sample.drain.map((d) => ({ ...d, floorRssKb })),
      { server: 'ejabberd', nodes: 2, tool: 'rsxcc', waiting: 10_000, wallMs: [5600], shown: 10_000, peakRssKb: 51_200, floorRssKb },
      { server: 'ejabberd', nodes: 2, tool: 'go-sendxmpp', waiting: 10_000, wallMs: [2800], shown: 10_000, peakRssKb: 15_000, floorRssKb },
    ],
    listen: sample.listen.map((l) => ({ ...l, floorRssKb })),
  };
  const rows = tableRows(more);
  const slope = rows.find((r) => r.what.startsWith('unread: µs a message after login'))!;
  assert.deepEqual([slope.what, slope.ours, slope.peer, slope.ratio], ['unread: µs a message after login (slope from 1,000 to 10,000 waiting)', '400.0 µs', '200.0 µs', '2.00x']);
  assert.equal(rows.filter((r) => r.what.startsWith('unread: µs')).length, 1, 'one slope row per lab');
  const large = rows.find((r) => r.what.startsWith('unread, 10,000 waiting: time'))!;
  assert.equal(large.target, '<= 1.00x');
  assert.equal(rows.find((r) => r.what.startsWith('unread, 1,000 waiting: time'))!.target, '<= 1.20x');
  const rss = rows.find((r) => r.what.startsWith('unread, 10,000 waiting: peak RSS'))!;
  assert.equal(rss.ours, '50.0 MB (+10.9 MB over `node -e 0`, +1.2 MB over 0 waiting)');
  assert.equal(rss.target, '<= `node -e 0` + 12 MB');
  const idle = rows.find((r) => r.what.startsWith('continuous: RSS idle'))!;
  assert.deepEqual([idle.ours, idle.target], ['48.8 MB (+9.8 MB over `node -e 0`)', '<= `node -e 0` + 6 MB']);
  const busy = rows.find((r) => r.what.startsWith('continuous: peak RSS'))!;
  assert.deepEqual([busy.ours, busy.target], ['56.6 MB (+7.8 MB over idle)', '<= idle + 10 MB']);
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

test('given drains timed to their first message and from their last, the table says where the fixed costs are; older results have no such row', () => {
  const timed: BenchResults = {
    ...sample,
    drain: sample.drain.map((d) =>
      d.waiting === 0 ? d : { ...d, firstMs: d.tool === 'rsxcc' ? [150, 110, 130] : [70, 90, 80], ...(d.tool === 'rsxcc' && { tailMs: [9, 12, 10] }) },
    ),
  };
  const row = tableRows(timed).find((r) => r.what.startsWith('unread, 1,000 waiting: start to the first message'))!;
  assert.deepEqual([row.ours, row.peer, row.ratio], ['130 ms; 10 ms', '80 ms; timed to its last line', '1.63x']);
  assert.equal(tableRows(sample).filter((r) => r.what.includes('start to the first message')).length, 0);
});

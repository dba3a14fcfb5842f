// What one bench run found, and the table made of it (stdout and README). Pure: the runner fills
// BenchResults, these functions only read it.
import { formatCount, formatKb, formatMs, formatRate, formatRatio, median, perSecond, ratio } from './stats.ts';

export type Server = 'ejabberd' | 'prosody';
export type Tool = 'rsxcc' | 'go-sendxmpp' | 'rsxcc-baseline';
export const peer: Tool = 'go-sendxmpp';
/** rsxcc as it was before (BENCH_BASELINE), measured in the same run: a regression shows as a ratio above 1. */
export const baseline: Tool = 'rsxcc-baseline';

export interface SendResult {
  server: Server;
  nodes: number;
  /** To a user of the same server, to one across federation (confirmed by the remote server), to a room (confirmed by its relay). */
  target: 'local' | 'remote' | 'room';
  /** Start to exit of each send, per tool that ran. */
  ms: Partial<Record<Tool, number[]>>;
  /** `node -e 0`: what Node costs before rsxcc runs a line of its own. */
  floorMs: number[];
  /** Messages the recipient really had afterwards, per tool, out of `runs` each. */
  delivered: Partial<Record<Tool, number>>;
  runs: number;
}

export interface DrainResult {
  server: Server;
  nodes: number;
  /** ejabberd's storage when it is not the lab's default (SQL): the same drain on Mnesia. */
  storage?: 'mnesia';
  tool: Tool;
  waiting: number;
  /** Start to exit (rsxcc), start to the last message printed (go-sendxmpp never exits by itself). */
  wallMs: number[];
  shown: number;
  peakRssKb: number;
  /** `node -e 0`'s peak RSS on the same host in the same job: the memory any Node CLI starts from. */
  floorRssKb?: number;
}

export interface ListenResult {
  server: Server;
  tool: Tool;
  idleS: number;
  loadS: number;
  rate: number;
  idleRssKb: number;
  loadPeakRssKb: number;
  /** `node -e 0`'s peak RSS on the same host in the same job. */
  floorRssKb?: number;
  sent: number;
  received: number;
  duplicates: number;
  /** False when the server had not confirmed the load before the wait ran out: then "lost" may be the server's backlog. */
  serverConfirmed: boolean;
}

/** The responder (-R) answering requests one at a time with `cat`. */
export interface RespondResult {
  server: Server;
  requests: number;
  answered: number;
  ms: number;
  idleS: number;
  idleRssKb: number;
  peakRssKb: number;
  afterRssKb: number;
}

export interface LabResult {
  nodes: number;
  upWipedMs: number[];
  upRunningMs: number[];
}

export interface BenchResults {
  date: string;
  machine: { cores: number; memoryGiB: number; cpu: string; node: string; kernel: string };
  command: string;
  config: Record<string, unknown>;
  send: SendResult[];
  drain: DrainResult[];
  listen: ListenResult[];
  respond: RespondResult[];
  lab: LabResult | undefined;
  /** What could not be measured, and why. */
  notes: string[];
}

export interface Row {
  what: string;
  where: string;
  ours: string;
  peer: string;
  ratio: string;
  target: string;
  /** Only when the baseline ran: its figure, and rsxcc's ratio to it. */
  baseline?: string;
  vsBaseline?: string;
}

const where = (server: Server, nodes: number, storage?: 'mnesia') =>
  server === 'ejabberd' ? `ejabberd x${nodes} (HAProxy${storage === 'mnesia' ? ', Mnesia' : ''})` : 'prosody';

/** The baseline's cells of a row: its figure, and the current rsxcc's ratio to it (above 1.00x: more time or memory now). */
const versus = (figure: string, ours: number, before: number): Pick<Row, 'baseline' | 'vsBaseline'> => ({
  baseline: figure,
  vsBaseline: formatRatio(ratio(ours, before)),
});

function sendRows(send: SendResult): Row[] {
  const ms = (tool: Tool) => median(send.ms[tool] ?? []);
  const [ours, theirs, before] = [ms('rsxcc'), ms(peer), ms(baseline)];
  const withBaseline = send.ms[baseline] !== undefined;
  const place = where(send.server, send.nodes);
  const delivered = (tool: Tool) => `${send.delivered[tool]}/${send.runs}`;
  const what = { local: 'send 1 message', remote: 'send 1 message across federation', room: 'send 1 message to a room (go-sendxmpp -c)' }[send.target];
  const first: Row = {
    what: `${what} (median of ${send.runs}, alternating)`,
    where: place,
    ours: formatMs(ours),
    peer: formatMs(theirs),
    ratio: formatRatio(ratio(ours, theirs)),
    target: send.target === 'local' ? '<= 1.00x' : '',
    ...(withBaseline && versus(formatMs(before), ours, before)),
  };
  // The recipient's unread is counted for the local send; the proof suite counts the others.
  if (send.target !== 'local') return [first];
  return [
    first,
    {
      what: 'messages the recipient had afterwards',
      where: place,
      ours: delivered('rsxcc'),
      peer: delivered(peer),
      ratio: '',
      target: 'all',
      ...(withBaseline && { baseline: delivered(baseline), vsBaseline: '' }),
    },
    { what: `\`node -e 0\` (floor of any Node CLI here${process.env.NODE_EXTRA_CA_CERTS ? ', NODE_EXTRA_CA_CERTS set' : ''})`, where: place, ours: formatMs(median(send.floorMs)), peer: '', ratio: '', target: '' },
  ];
}

function drainRows(drains: DrainResult[], sends: SendResult[]): Row[] {
  const find = (d: DrainResult, tool: Tool, waiting = d.waiting) =>
    drains.find((other) => other.tool === tool && other.server === d.server && other.nodes === d.nodes && other.waiting === waiting && other.storage === d.storage);
  const ours = drains.filter((d) => d.tool === 'rsxcc');
  return ours.flatMap((d) => [
    ...(d.waiting === 0 ? [emptyDrainRow(d, find(d, baseline), sends)] : waitingRows(d, find(d, peer), find(d, baseline), find(d, 'rsxcc', 0))),
    // After the largest drain of a lab: what one more message costs each tool.
    ...(d === ours.filter((o) => o.server === d.server && o.nodes === d.nodes && o.storage === d.storage).at(-1) ? perMessageRows(d, drains) : []),
  ]);
}

/**
 * Microseconds a message after login: the slope between the smallest and the largest drain with
 * messages waiting, so that start-up, login and the final round trips cancel out. NaN without two
 * such drains.
 */
export function perMessageUs(drains: DrainResult[]): number {
  const sized = drains.filter((d) => d.waiting > 0 && d.shown === d.waiting).sort((a, b) => a.waiting - b.waiting);
  if (sized.length < 2) return Number.NaN;
  const [small, large] = [sized[0]!, sized.at(-1)!];
  return ((drainMs(large) - drainMs(small)) * 1000) / (large.waiting - small.waiting);
}

function perMessageRows(ours: DrainResult, drains: DrainResult[]): Row[] {
  const same = (tool: Tool) => drains.filter((d) => d.tool === tool && d.server === ours.server && d.nodes === ours.nodes && d.storage === ours.storage);
  const sizes = same('rsxcc').filter((d) => d.waiting > 0).map((d) => d.waiting);
  if (sizes.length < 2) return [];
  const [us, theirs] = [perMessageUs(same('rsxcc')), perMessageUs(same(peer))];
  const format = (value: number) => (Number.isFinite(value) ? `${value.toFixed(1)} µs` : 'n/a');
  return [
    {
      what: `unread: µs a message after login (slope from ${formatCount(Math.min(...sizes))} to ${formatCount(Math.max(...sizes))} waiting)`,
      where: where(ours.server, ours.nodes, ours.storage),
      ours: format(us),
      peer: format(theirs),
      ratio: formatRatio(ratio(us, theirs)),
      target: '',
    },
  ];
}

/** "+N MB over node -e 0" when the floor was measured. */
const overFloor = (kb: number, floorKb: number | undefined) => (floorKb ? `+${formatKb(kb - floorKb)} over \`node -e 0\`` : '');
/** A figure with what it is compared with in brackets, where there is any. */
const withNotes = (figure: string, notes: (string | false | undefined)[]) => {
  const said = notes.filter(Boolean);
  return said.length ? `${figure} (${said.join(', ')})` : figure;
};

const drainMs = (d: DrainResult | undefined) => (d ? median(d.wallMs) : Number.NaN);

/** Nothing waiting: start-up bound, so compared with rsxcc's own send (the peer has no such mode). */
function emptyDrainRow(ours: DrainResult, before: DrainResult | undefined, sends: SendResult[]): Row {
  const ownSend = sends.find((s) => s.server === ours.server && s.nodes === ours.nodes && s.target === 'local');
  const sendMs = median(ownSend?.ms.rsxcc ?? []);
  const figure = (d: DrainResult) => `${formatMs(drainMs(d))}, ${formatKb(d.peakRssKb)}`;
  return {
    what: `unread, 0 waiting (median of ${ours.wallMs.length}); ratio to rsxcc's own send`,
    where: where(ours.server, ours.nodes, ours.storage),
    ours: figure(ours),
    peer: 'no such mode',
    ratio: formatRatio(ratio(drainMs(ours), sendMs)),
    target: '<= 1.20x',
    ...(before && versus(figure(before), drainMs(ours), drainMs(before))),
  };
}

/** Messages waiting: time and throughput, then peak RSS (also above rsxcc's own with none waiting). */
function waitingRows(ours: DrainResult, theirs: DrainResult | undefined, before: DrainResult | undefined, empty: DrainResult | undefined): Row[] {
  const place = where(ours.server, ours.nodes, ours.storage);
  const figure = (d: DrainResult | undefined) =>
    d ? `${formatMs(drainMs(d))}, ${formatRate(perSecond(d.shown, drainMs(d)))}${d.shown === d.waiting ? '' : ` (${formatCount(d.shown)} shown)`}` : 'n/a';
  const rss = (d: DrainResult | undefined) => d?.peakRssKb ?? Number.NaN;
  return [
    {
      what: `unread, ${formatCount(ours.waiting)} waiting: time, throughput`,
      where: place,
      ours: figure(ours),
      peer: figure(theirs),
      ratio: formatRatio(ratio(drainMs(ours), drainMs(theirs))),
      target: ours.waiting >= 10_000 ? '<= 1.00x' : ours.waiting >= 1000 ? '<= 1.20x' : '',
      ...(before && versus(figure(before), drainMs(ours), drainMs(before))),
    },
    {
      what: `unread, ${formatCount(ours.waiting)} waiting: peak RSS`,
      where: place,
      ours: withNotes(formatKb(ours.peakRssKb), [overFloor(ours.peakRssKb, ours.floorRssKb), empty && `+${formatKb(ours.peakRssKb - empty.peakRssKb)} over 0 waiting`]),
      peer: theirs ? formatKb(theirs.peakRssKb) : 'n/a',
      ratio: formatRatio(ratio(ours.peakRssKb, rss(theirs))),
      target: ours.waiting >= 10_000 ? '<= `node -e 0` + 12 MB' : '',
      ...(before && versus(formatKb(before.peakRssKb), ours.peakRssKb, before.peakRssKb)),
    },
  ];
}

function listenRows(listens: ListenResult[]): Row[] {
  return listens
    .filter((l) => l.tool === 'rsxcc')
    .flatMap((ours) => {
      const other = (tool: Tool) => listens.find((l) => l.tool === tool && l.server === ours.server);
      return listenMeasures(ours, other(peer), other(baseline));
    });
}

function listenMeasures(ours: ListenResult, theirs: ListenResult | undefined, before: ListenResult | undefined): Row[] {
  const memory = (what: string, kb: (l: ListenResult) => number, target: string, over: string): Row => ({
    what,
    where: ours.server,
    ours: withNotes(formatKb(kb(ours)), [over]),
    peer: theirs ? formatKb(kb(theirs)) : 'n/a',
    ratio: formatRatio(ratio(kb(ours), theirs ? kb(theirs) : Number.NaN)),
    target,
    ...(before && versus(formatKb(kb(before)), kb(ours), kb(before))),
  });
  const lost = (l: ListenResult | undefined) =>
    l
      ? `${formatCount(l.sent - l.received)} of ${formatCount(l.sent)}${l.duplicates ? `, ${l.duplicates} dup` : ''}${l.serverConfirmed === false ? ' (server fell behind: not confirmed)' : ''}`
      : 'n/a';
  return [
    memory(`continuous: RSS idle after ${ours.idleS} s`, (l) => l.idleRssKb, '<= `node -e 0` + 6 MB', overFloor(ours.idleRssKb, ours.floorRssKb)),
    memory(`continuous: peak RSS receiving ${ours.rate} msg/s for ${ours.loadS} s`, (l) => l.loadPeakRssKb, '<= idle + 10 MB', `+${formatKb(ours.loadPeakRssKb - ours.idleRssKb)} over idle`),
    {
      what: 'continuous: messages lost',
      where: ours.server,
      ours: lost(ours),
      peer: lost(theirs),
      ratio: '',
      target: '0',
      ...(before && { baseline: lost(before), vsBaseline: '' }),
    },
  ];
}

function labRows(lab: LabResult): Row[] {
  return [
    {
      what: `\`chatlab up\`, data wiped, to all logins OK (median of ${lab.upWipedMs.length})`,
      where: `lab, ${lab.nodes} ejabberd nodes`,
      ours: formatMs(median(lab.upWipedMs)),
      peer: '',
      ratio: '',
      target: '<= 15 s',
    },
    {
      what: `\`chatlab up\` on a running lab (median of ${lab.upRunningMs.length})`,
      where: `lab, ${lab.nodes} ejabberd nodes`,
      ours: formatMs(median(lab.upRunningMs)),
      peer: '',
      ratio: '',
      target: '<= 3 s',
    },
  ];
}

function respondRows(r: RespondResult): Row[] {
  const row = (what: string, ours: string, target = ''): Row => ({ what, where: r.server, ours, peer: 'n/a (no responder)', ratio: '', target });
  return [
    row(`responder: RSS idle after ${r.idleS} s`, formatKb(r.idleRssKb)),
    row(`responder: ${formatCount(r.requests)} requests answered one at a time (\`cat\`)`, `${formatCount(r.answered)} in ${formatMs(r.ms)}, ${formatCount(Math.round(r.answered / (r.ms / 1000)))}/s`, 'all'),
    row(`responder: peak RSS while answering, and after`, `${formatKb(r.peakRssKb)}; ${formatKb(r.afterRssKb)} after`),
  ];
}

export function tableRows(results: BenchResults): Row[] {
  const bySize = <T extends { server: Server; nodes: number }>(list: T[]) =>
    [...list].sort((a, b) => a.server.localeCompare(b.server) || a.nodes - b.nodes);
  return [
    ...bySize(results.send).flatMap(sendRows),
    ...drainRows(bySize(results.drain), results.send),
    ...listenRows(results.listen),
    ...results.respond.flatMap(respondRows),
    ...(results.lab ? labRows(results.lab) : []),
  ];
}

/** A Markdown table: readable as plain text on a terminal, rendered as a table in the README. */
export function markdownTable(rows: Row[]): string {
  const header: Required<Row> = { what: 'measure', where: 'server', ours: 'rsxcc', peer, ratio: 'ratio', baseline, vsBaseline: 'ratio to baseline', target: 'target' };
  // The baseline's columns only in a run that had one.
  const withBaseline = rows.some((row) => row.baseline !== undefined);
  const columns = (Object.keys(header) as (keyof Row)[]).filter((column) => withBaseline || (column !== 'baseline' && column !== 'vsBaseline'));
  const escape = (cell: string) => cell.replaceAll('|', '\\|');
  const line = (row: Row) => `| ${columns.map((column) => escape(row[column] ?? '')).join(' | ')} |`;
  return [line(header), `|${columns.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n');
}

export function machineLine(results: BenchResults): string {
  const { machine } = results;
  return `${results.date.slice(0, 10)}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.cpu}, Node ${machine.node}, Linux ${machine.kernel}`;
}

// What one bench run found, and the table made of it (stdout and README). Pure: the runner fills
// BenchResults, these functions only read it.
import { formatCount, formatKb, formatMs, formatRatio, median, ratio } from './stats.ts';
import { drainRows } from './drain-rows.ts';
import { baseline, overFloor, peer, versus, where, withNotes } from './row-parts.ts';

export type Server = 'ejabberd' | 'prosody';
export type Tool = 'rsxcc' | 'go-sendxmpp' | 'rsxcc-baseline';
export { baseline, peer } from './row-parts.ts';

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
  /** Start to the first message printed, and (rsxcc) the last message to exit: where the fixed costs are. */
  firstMs?: number[];
  tailMs?: number[];
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

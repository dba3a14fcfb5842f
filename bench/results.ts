// What one bench run found, and the table made of it (stdout and README). Pure: the runner fills
// BenchResults, these functions only read it.
import { formatCount, formatKb, formatMs, formatRate, formatRatio, median, perSecond, ratio } from './stats.ts';

export type Server = 'ejabberd' | 'prosody';
export type Tool = 'rsxcc' | 'go-sendxmpp';
export const peer: Tool = 'go-sendxmpp';

export interface SendResult {
  server: Server;
  nodes: number;
  rsxccMs: number[];
  peerMs: number[];
  /** `node -e 0`: what Node costs before rsxcc runs a line of its own. */
  floorMs: number[];
  /** Messages the recipient really had afterwards, per tool, out of `runs` each. */
  delivered: Record<Tool, number>;
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
}

export interface ListenResult {
  server: Server;
  tool: Tool;
  idleS: number;
  loadS: number;
  rate: number;
  idleRssKb: number;
  loadPeakRssKb: number;
  sent: number;
  received: number;
  duplicates: number;
  /** False when the server had not confirmed the load before the wait ran out: then "lost" may be the server's backlog. */
  serverConfirmed: boolean;
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
}

const where = (server: Server, nodes: number, storage?: 'mnesia') =>
  server === 'ejabberd' ? `ejabberd x${nodes} (HAProxy${storage === 'mnesia' ? ', Mnesia' : ''})` : 'prosody';

function sendRows(send: SendResult): Row[] {
  const ours = median(send.rsxccMs);
  const theirs = median(send.peerMs);
  const place = where(send.server, send.nodes);
  const delivered = `${send.delivered.rsxcc}/${send.runs}`;
  return [
    {
      what: `send 1 message (median of ${send.runs}, alternating)`,
      where: place,
      ours: formatMs(ours),
      peer: formatMs(theirs),
      ratio: formatRatio(ratio(ours, theirs)),
      target: '<= 1.00x',
    },
    { what: 'messages the recipient had afterwards', where: place, ours: delivered, peer: `${send.delivered[peer]}/${send.runs}`, ratio: '', target: 'all' },
    { what: `\`node -e 0\` (floor of any Node CLI here${process.env.NODE_EXTRA_CA_CERTS ? ', NODE_EXTRA_CA_CERTS set' : ''})`, where: place, ours: formatMs(median(send.floorMs)), peer: '', ratio: '', target: '' },
  ];
}

function drainRows(drains: DrainResult[], sends: SendResult[]): Row[] {
  const rows: Row[] = [];
  const find = (d: DrainResult, tool: Tool) =>
    drains.find((other) => other.tool === tool && other.server === d.server && other.nodes === d.nodes && other.waiting === d.waiting && other.storage === d.storage);
  for (const ours of drains.filter((d) => d.tool === 'rsxcc')) {
    const place = where(ours.server, ours.nodes, ours.storage);
    const oursMs = median(ours.wallMs);
    if (ours.waiting === 0) {
      const ownSend = sends.find((s) => s.server === ours.server && s.nodes === ours.nodes);
      const sendMs = ownSend ? median(ownSend.rsxccMs) : Number.NaN;
      rows.push({
        what: `unread, 0 waiting (median of ${ours.wallMs.length}); ratio to rsxcc's own send`,
        where: place,
        ours: `${formatMs(oursMs)}, ${formatKb(ours.peakRssKb)}`,
        peer: 'no such mode',
        ratio: formatRatio(ratio(oursMs, sendMs)),
        target: '<= 1.20x',
      });
      continue;
    }
    const theirs = find(ours, peer);
    const theirMs = theirs ? median(theirs.wallMs) : Number.NaN;
    const figure = (d: DrainResult | undefined, ms: number) =>
      d ? `${formatMs(ms)}, ${formatRate(perSecond(d.shown, ms))}${d.shown === d.waiting ? '' : ` (${formatCount(d.shown)} shown)`}` : 'n/a';
    rows.push({
      what: `unread, ${formatCount(ours.waiting)} waiting: time, throughput`,
      where: place,
      ours: figure(ours, oursMs),
      peer: figure(theirs, theirMs),
      ratio: formatRatio(ratio(oursMs, theirMs)),
      target: '',
    });
    const empty = find({ ...ours, waiting: 0 }, 'rsxcc');
    rows.push({
      what: `unread, ${formatCount(ours.waiting)} waiting: peak RSS`,
      where: place,
      ours: formatKb(ours.peakRssKb) + (empty ? ` (+${formatKb(ours.peakRssKb - empty.peakRssKb)} over 0 waiting)` : ''),
      peer: theirs ? formatKb(theirs.peakRssKb) : 'n/a',
      ratio: formatRatio(ratio(ours.peakRssKb, theirs?.peakRssKb ?? Number.NaN)),
      target: ours.waiting >= 10_000 ? '<= +20 MB over 0 waiting' : '',
    });
  }
  return rows;
}

function listenRows(listens: ListenResult[]): Row[] {
  const rows: Row[] = [];
  for (const ours of listens.filter((l) => l.tool === 'rsxcc')) {
    const theirs = listens.find((l) => l.tool === peer && l.server === ours.server);
    const lost = (l: ListenResult | undefined) =>
      l
        ? `${formatCount(l.sent - l.received)} of ${formatCount(l.sent)}${l.duplicates ? `, ${l.duplicates} dup` : ''}${l.serverConfirmed === false ? ' (server fell behind: not confirmed)' : ''}`
        : 'n/a';
    rows.push(
      {
        what: `continuous: RSS idle after ${ours.idleS} s`,
        where: ours.server,
        ours: formatKb(ours.idleRssKb),
        peer: theirs ? formatKb(theirs.idleRssKb) : 'n/a',
        ratio: formatRatio(ratio(ours.idleRssKb, theirs?.idleRssKb ?? Number.NaN)),
        target: '<= 60 MB',
      },
      {
        what: `continuous: peak RSS receiving ${ours.rate} msg/s for ${ours.loadS} s`,
        where: ours.server,
        ours: formatKb(ours.loadPeakRssKb),
        peer: theirs ? formatKb(theirs.loadPeakRssKb) : 'n/a',
        ratio: formatRatio(ratio(ours.loadPeakRssKb, theirs?.loadPeakRssKb ?? Number.NaN)),
        target: '',
      },
      { what: 'continuous: messages lost', where: ours.server, ours: lost(ours), peer: lost(theirs), ratio: '', target: '0' },
    );
  }
  return rows;
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

export function tableRows(results: BenchResults): Row[] {
  const bySize = <T extends { server: Server; nodes: number }>(list: T[]) =>
    [...list].sort((a, b) => a.server.localeCompare(b.server) || a.nodes - b.nodes);
  return [
    ...bySize(results.send).flatMap(sendRows),
    ...drainRows(bySize(results.drain), results.send),
    ...listenRows(results.listen),
    ...(results.lab ? labRows(results.lab) : []),
  ];
}

/** A Markdown table: readable as plain text on a terminal, rendered as a table in the README. */
export function markdownTable(rows: Row[]): string {
  const header: Row = { what: 'measure', where: 'server', ours: 'rsxcc', peer: peer, ratio: 'ratio', target: 'target' };
  const columns = Object.keys(header) as (keyof Row)[];
  const escape = (cell: string) => cell.replaceAll('|', '\\|');
  const line = (row: Row) => `| ${columns.map((column) => escape(row[column])).join(' | ')} |`;
  return [line(header), `|${columns.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n');
}

export function machineLine(results: BenchResults): string {
  const { machine } = results;
  return `${results.date.slice(0, 10)}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.cpu}, Node ${machine.node}, Linux ${machine.kernel}`;
}

// The unread rows of the bench's table: each drain against go-sendxmpp's, memory against Node's
// floor, and what one more message costs each tool. Pure.
import { formatCount, formatKb, formatMs, formatRate, formatRatio, median, perSecond, ratio } from './stats.ts';
import type { DrainResult, Row, SendResult, Tool } from './results.ts';
import { baseline, overFloor, peer, versus, where, withNotes } from './row-parts.ts';

/** Drains of the same lab: server, cluster size and storage. */
const sameLab = (a: DrainResult, b: DrainResult) => a.server === b.server && a.nodes === b.nodes && a.storage === b.storage;

export function drainRows(drains: DrainResult[], sends: SendResult[]): Row[] {
  const find = (d: DrainResult, tool: Tool, waiting = d.waiting) => drains.find((other) => other.tool === tool && other.waiting === waiting && sameLab(other, d));
  const ours = drains.filter((d) => d.tool === 'rsxcc');
  return ours.flatMap((d) => [
    ...(d.waiting === 0 ? [emptyDrainRow(d, find(d, baseline), sends)] : waitingRows(d, find(d, peer), find(d, baseline), find(d, 'rsxcc', 0))),
    // After the largest drain of a lab: what one more message costs each tool.
    ...(d === ours.filter((o) => sameLab(o, d)).at(-1) ? perMessageRows(d, drains) : []),
  ]);
}

/** The drains a slope is taken from: messages waiting, and every one shown. */
const complete = (drains: DrainResult[]) => drains.filter((d) => d.waiting > 0 && d.shown === d.waiting).sort((a, b) => a.waiting - b.waiting);

/**
 * Microseconds a message after login: the slope between the smallest and the largest drain with
 * messages waiting, so that start-up, login and the final round trips cancel out. NaN without two
 * such drains.
 */
export function perMessageUs(drains: DrainResult[]): number {
  const sized = complete(drains);
  if (sized.length < 2) return Number.NaN;
  const [small, large] = [sized[0]!, sized.at(-1)!];
  return ((drainMs(large) - drainMs(small)) * 1000) / (large.waiting - small.waiting);
}

function perMessageRows(ours: DrainResult, drains: DrainResult[]): Row[] {
  const same = (tool: Tool) => drains.filter((d) => d.tool === tool && sameLab(d, ours));
  const sizes = complete(same('rsxcc')).map((d) => d.waiting);
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
      what: `unread, ${formatCount(ours.waiting)} waiting: time, throughput (median of ${ours.wallMs.length})`,
      where: place,
      ours: figure(ours),
      peer: figure(theirs),
      ratio: formatRatio(ratio(drainMs(ours), drainMs(theirs))),
      target: ours.waiting >= 10_000 ? '<= 1.00x' : ours.waiting >= 1000 ? '<= 1.20x' : '',
      ...(before && versus(figure(before), drainMs(ours), drainMs(before))),
    },
    ...fixedCostRows(ours, theirs, place),
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

/**
 * Where a drain's fixed costs are: start to the first message (start-up, login, the server's
 * fetch) and, for rsxcc, the last message to exit (acknowledging, the final ping, closing, Node's
 * exit); go-sendxmpp is timed to its last line. Absent from results of benches before them.
 */
function fixedCostRows(ours: DrainResult, theirs: DrainResult | undefined, place: string): Row[] {
  if (!ours.firstMs?.length) return [];
  const first = (d: DrainResult | undefined) => median(d?.firstMs ?? []);
  return [
    {
      what: `unread, ${formatCount(ours.waiting)} waiting: start to the first message; the last message to exit`,
      where: place,
      ours: `${formatMs(first(ours))}; ${formatMs(median(ours.tailMs ?? []))}`,
      peer: theirs?.firstMs?.length ? `${formatMs(first(theirs))}; timed to its last line` : 'n/a',
      ratio: formatRatio(ratio(first(ours), first(theirs))),
      target: '',
    },
  ];
}

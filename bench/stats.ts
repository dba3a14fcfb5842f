// Pure helpers of the benchmark: statistics, units and the text form of figures. No I/O here, so
// the unit tests can pin them down without a lab.

/** The median: robust against the outliers a shared, noisy machine produces. NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** ours / peer; NaN when either side is missing, so a table shows "n/a" rather than a fake 0 or Infinity. */
export function ratio(ours: number, peer: number): number {
  if (!Number.isFinite(ours) || !Number.isFinite(peer) || peer <= 0) return Number.NaN;
  return ours / peer;
}

/**
 * The order of the tools in round `run`: rotating it cancels the drift of a shared machine (page
 * cache, another engineer's load) between the tools instead of handing it all to one.
 */
export function rotate<T>(run: number, tools: readonly T[]): T[] {
  const shift = run % Math.max(1, tools.length);
  return [...tools.slice(shift), ...tools.slice(0, shift)];
}

const na = 'n/a';

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return na;
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/** Kilobytes (as /usr/bin/time %M and /proc report them) as MB with one decimal. */
export function formatKb(kb: number): string {
  return Number.isFinite(kb) ? `${(kb / 1024).toFixed(1)} MB` : na;
}

export function formatRate(perSecond: number): string {
  return Number.isFinite(perSecond) ? `${Math.round(perSecond).toLocaleString('en-US')} msg/s` : na;
}

export function formatRatio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}x` : na;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** Messages per second for `count` messages in `ms`; NaN for nothing shown (0 waiting). */
export function perSecond(count: number, ms: number): number {
  return count > 0 && ms > 0 ? (count * 1000) / ms : Number.NaN;
}

/** Parses a comma-separated list of non-negative integers, e.g. BENCH_UNREAD=0,1000,10000. */
export function parseIntList(text: string, name: string): number[] {
  const items = text.split(',').map((item) => item.trim());
  if (items.some((item) => !/^\d+$/.test(item))) throw new Error(`${name}: expected numbers separated by commas, got ${JSON.stringify(text)}`);
  return items.map(Number);
}

/** Kilobytes from a /proc/PID/status field line such as "VmHWM:\t  51234 kB"; NaN when absent. */
export function procStatusKb(status: string, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Number(match[1]) : Number.NaN;
}

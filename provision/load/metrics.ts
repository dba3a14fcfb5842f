// What the workers count, per second of the run, and how the counts of several workers become one
// series and one summary. Pure: the worker fills Ticks, the parent merges them.

/** One worker's counts for one second of the run (second = whole seconds since the common start). */
export interface Tick {
  second: number;
  /** Sessions online at the end of that second. */
  sessions: number;
  logins: number;
  loginMs: number[];
  sent: number;
  received: number;
  latencyMs: number[];
  errors: Partial<Record<ErrorKind, number>>;
  /** Connections the server side ended (counted also when they reconnect). */
  drops: number;
  reconnects: number;
}

export type ErrorKind =
  /** A login that did not complete (after its retries, for a reconnect). */
  | 'login'
  /** A message answered with type='error'. */
  | 'stanza'
  /** A message to an online user that did not arrive within the time-out. */
  | 'lost'
  /** A dropped user that could not log in again before the end. */
  | 'reconnect';

export const emptyTick = (second: number): Tick => ({
  second,
  sessions: 0,
  logins: 0,
  loginMs: [],
  sent: 0,
  received: 0,
  latencyMs: [],
  errors: {},
  drops: 0,
  reconnects: 0,
});

/** Adds everything but the sessions figure, which is a level, not a count. */
function addCounts(into: Tick, t: Tick): void {
  into.logins += t.logins;
  for (const ms of t.loginMs) into.loginMs.push(ms);
  into.sent += t.sent;
  into.received += t.received;
  for (const ms of t.latencyMs) into.latencyMs.push(ms);
  into.drops += t.drops;
  into.reconnects += t.reconnects;
  for (const [kind, n] of Object.entries(t.errors)) into.errors[kind as ErrorKind] = (into.errors[kind as ErrorKind] ?? 0) + n;
}

/** Sums the ticks of every worker second by second; a second without a tick from a worker counts it with its last sessions figure. */
export function mergeTicks(perWorker: Tick[][]): Tick[] {
  const last = Math.max(-1, ...perWorker.flat().map((t) => t.second));
  const series = Array.from({ length: last + 1 }, (_, s) => emptyTick(s));
  for (const ticks of perWorker) {
    const bySecond = new Map(ticks.map((t) => [t.second, t]));
    let sessions = 0;
    for (const out of series) {
      const t = bySecond.get(out.second);
      if (t) {
        sessions = t.sessions;
        addCounts(out, t);
      }
      out.sessions += sessions;
    }
  }
  return series;
}

/** Nearest-rank percentile of unsorted values; undefined for none. */
export function percentile(values: number[], p: number): number | undefined {
  if (!values.length) return undefined;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export interface Percentiles {
  p50?: number;
  p90?: number;
  p99?: number;
  max?: number;
}

export const percentiles = (values: number[]): Percentiles => ({
  p50: percentile(values, 50),
  p90: percentile(values, 90),
  p99: percentile(values, 99),
  max: percentile(values, 100),
});

/** The largest sum over any `window` consecutive seconds, per second: a peak that one slow second does not halve. */
export function peakRate(values: number[], window = 5): number {
  if (!values.length) return 0;
  const w = Math.min(window, values.length);
  let sum = values.slice(0, w).reduce((a, b) => a + b, 0);
  let best = sum;
  for (let i = w; i < values.length; i++) {
    sum += values[i]! - values[i - w]!;
    best = Math.max(best, sum);
  }
  return best / w;
}

export interface Summary {
  peakSessions: number;
  logins: number;
  loginMs: Percentiles;
  peakLoginsPerS: number;
  sent: number;
  received: number;
  peakMessagesPerS: number;
  latencyMs: Percentiles;
  errors: Partial<Record<ErrorKind, number>>;
  errorTotal: number;
  drops: number;
  reconnects: number;
}

export function summarize(series: Tick[]): Summary {
  const all = emptyTick(0);
  for (const t of series) addCounts(all, t);
  const errorTotal = Object.values(all.errors).reduce((a, b) => a + b, 0);
  return {
    peakSessions: Math.max(0, ...series.map((t) => t.sessions)),
    logins: all.logins,
    loginMs: percentiles(all.loginMs),
    peakLoginsPerS: peakRate(series.map((t) => t.logins)),
    sent: all.sent,
    received: all.received,
    peakMessagesPerS: peakRate(series.map((t) => t.received)),
    latencyMs: percentiles(all.latencyMs),
    errors: all.errors,
    errorTotal,
    drops: all.drops,
    reconnects: all.reconnects,
  };
}

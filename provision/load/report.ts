// The run as a person reads it: one JSON document (LoadReport), a table for the terminal and an
// SVG chart. Pure functions of the report.
import type { LoadOptions } from './options.ts';
import { percentile, type Summary, type Tick } from './metrics.ts';
import type { HaproxySummary, ProcessStats } from './servers.ts';

export interface SeriesPoint {
  second: number;
  sessions: number;
  logins: number;
  sent: number;
  received: number;
  latencyP50Ms?: number;
  latencyP99Ms?: number;
  errors: number;
}

export interface LoadReport {
  date: string;
  machine: string;
  lab: string;
  ejabberdNodes: number;
  /** host:port the users connected to. */
  target: string;
  options: Omit<LoadOptions, 'outDir'>;
  accounts: { created: number; seconds: number };
  summary: Summary;
  series: SeriesPoint[];
  processes: ProcessStats[];
  /** HAProxy's backends at the end, with the UP -> DOWN transitions during the run (ejabberd only). */
  haproxy?: HaproxySummary;
  /** The first few errors, word for word. */
  errorSamples: string[];
}

export function seriesPoints(ticks: Tick[]): SeriesPoint[] {
  return ticks.map((t) => ({
    second: t.second,
    sessions: t.sessions,
    logins: t.logins,
    sent: t.sent,
    received: t.received,
    latencyP50Ms: percentile(t.latencyMs, 50),
    latencyP99Ms: percentile(t.latencyMs, 99),
    errors: Object.values(t.errors).reduce((a, b) => a + b, 0),
  }));
}

const ms = (v: number | undefined) => (v === undefined ? '-' : `${v.toFixed(v < 10 ? 1 : 0)} ms`);
const pcts = (p: Summary['latencyMs']) => `p50 ${ms(p.p50)}, p90 ${ms(p.p90)}, p99 ${ms(p.p99)}, max ${ms(p.max)}`;

export function formatTable(r: LoadReport): string {
  const s = r.summary;
  const o = r.options;
  const rows: Array<[string, string]> = [
    ['lab', `${r.lab} (${r.ejabberdNodes} ejabberd nodes), ${o.server} at ${r.target}`],
    ['load', `${o.users} users at ${o.rate}/s, ${o.durationS} s, stay ${o.stayS || 'to the end'}${o.stayS ? ' s' : ''}, a message every ${o.messageIntervalS} s each, ${o.workers} worker(s)${o.kill ? `, kill ${o.kill.host} at ${o.kill.atS} s` : ''}`],
    ['accounts', `${r.accounts.created} created in ${r.accounts.seconds.toFixed(1)} s`],
    ['concurrent sessions (peak)', String(s.peakSessions)],
    ['logins', `${s.logins}, peak ${s.peakLoginsPerS.toFixed(1)}/s (5 s window)`],
    ['login time', pcts(s.loginMs)],
    ['messages', `${s.sent} sent, ${s.received} received, peak ${s.peakMessagesPerS.toFixed(0)}/s (5 s window)`],
    ['latency send -> receive', pcts(s.latencyMs)],
    ['errors', s.errorTotal ? `${s.errorTotal} (${Object.entries(s.errors).map(([k, n]) => `${k} ${n}`).join(', ')})` : '0'],
    ['dropped / reconnected', `${s.drops} / ${s.reconnects}`],
  ];
  if (r.haproxy) rows.push(['HAProxy', `${r.haproxy.servers.map((b) => `${b.server} ${b.status}`).join(', ')}; marked down during the run: ${r.haproxy.markedDown}`]);
  const width = Math.max(...rows.map(([k]) => k.length));
  const procs = r.processes
    .filter((p) => p.cpuMeanPct >= 0.5 || p.rssPeakMb >= 20 || p.exited)
    .sort((a, b) => a.host.localeCompare(b.host) || b.cpuMeanPct - a.cpuMeanPct)
    .map((p) => `  ${p.host.padEnd(10)} ${`${p.name}[${p.pid}]`.padEnd(22)} ${p.cpuMeanPct.toFixed(0).padStart(4)} % ${p.cpuPeakPct.toFixed(0).padStart(5)} % ${p.rssPeakMb.toFixed(0).padStart(6)} MB${p.exited ? '  EXITED' : ''}`);
  return [
    ...rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`),
    '',
    `  ${'host'.padEnd(10)} ${'process'.padEnd(22)} ${'cpu'.padStart(6)} ${'peak'.padStart(7)} ${'rss'.padStart(9)}`,
    ...procs,
    ...(r.errorSamples.length ? ['', 'first errors:', ...r.errorSamples.map((e) => `  ${e}`)] : []),
  ].join('\n');
}

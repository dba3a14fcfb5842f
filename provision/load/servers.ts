// The servers' side of a run: CPU and RSS of every process of every lab host (a host's processes
// are those in its network namespace, as `ip netns pids` finds them), sampled once a second
// from /proc, and HAProxy's own view of its backends (sessions per node, checks that failed).
import { readdir, readFile, readlink, stat } from 'node:fs/promises';
import { connect } from 'node:net';

/** /proc/PID/stat after the command name (which may hold spaces and parentheses): utime + stime. */
export function cpuTicks(statText: string): number {
  const fields = statText.slice(statText.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of proc(5), counted from the state (field 3) at index 0.
  return Number(fields[11]) + Number(fields[12]);
}

/** VmRSS of /proc/PID/status in kB; 0 for a kernel thread or a zombie. */
export function rssKb(statusText: string): number {
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(statusText)?.[1] ?? 0);
}

/** USER_HZ: what /proc counts CPU time in on every Linux this runs on. */
export const TICKS_PER_S = 100;

export interface ProcSample {
  host: string;
  pid: number;
  name: string;
  ticks: number;
  rssKb: number;
}

/** Every process whose network namespace is one of the hosts'. One pass over /proc, no processes started. */
export async function sampleProcesses(hosts: Array<{ name: string; netns: string }>): Promise<ProcSample[]> {
  const byInode = new Map<string, string>();
  for (const h of hosts) {
    const s = await stat(`/run/netns/${h.netns}`).catch(() => undefined);
    if (s) byInode.set(`net:[${s.ino}]`, h.name);
  }
  const pids = (await readdir('/proc')).filter((d) => /^\d+$/.test(d));
  const samples = await Promise.all(
    pids.map(async (pid): Promise<ProcSample | undefined> => {
      try {
        const host = byInode.get(await readlink(`/proc/${pid}/ns/net`));
        if (!host) return undefined;
        const [statText, statusText, comm] = await Promise.all(['stat', 'status', 'comm'].map((f) => readFile(`/proc/${pid}/${f}`, 'utf8')));
        return { host, pid: Number(pid), name: comm!.trim(), ticks: cpuTicks(statText!), rssKb: rssKb(statusText!) };
      } catch {
        // Gone between readdir and read: it shows up as exited in the next comparison.
        return undefined;
      }
    }),
  );
  return samples.filter((s): s is ProcSample => s !== undefined);
}

export interface ProcessStats {
  host: string;
  name: string;
  pid: number;
  cpuMeanPct: number;
  cpuPeakPct: number;
  rssPeakMb: number;
  /** Still running at the last sample? A server that died under load shows here. */
  exited: boolean;
  /** CPU % per sample round (the first is 0: nothing to compare with yet). */
  cpuPct: number[];
}

/** Per process over time; `times` are the sample instants in ms, one per entry of `samples`. */
export function processStats(samples: ProcSample[][], times: number[]): ProcessStats[] {
  const all = new Map<string, ProcessStats & { first: ProcSample; firstAt: number; last: ProcSample; lastAt: number }>();
  samples.forEach((round, i) => {
    for (const s of round) {
      const key = `${s.host}/${s.pid}`;
      const known = all.get(key);
      if (!known) {
        all.set(key, { host: s.host, name: s.name, pid: s.pid, cpuMeanPct: 0, cpuPeakPct: 0, rssPeakMb: s.rssKb / 1024, exited: false, cpuPct: Array(i + 1).fill(0), first: s, firstAt: times[i]!, last: s, lastAt: times[i]! });
        continue;
      }
      const pct = ((s.ticks - known.last.ticks) / TICKS_PER_S / ((times[i]! - known.lastAt) / 1000)) * 100;
      known.cpuPct.push(pct);
      known.cpuPeakPct = Math.max(known.cpuPeakPct, pct);
      known.rssPeakMb = Math.max(known.rssPeakMb, s.rssKb / 1024);
      known.last = s;
      known.lastAt = times[i]!;
    }
    for (const p of all.values()) if (p.cpuPct.length <= i) p.cpuPct.push(0);
  });
  const lastTime = times[times.length - 1];
  return [...all.values()].map(({ first, firstAt, last, lastAt, ...p }) => ({
    ...p,
    cpuMeanPct: lastAt > firstAt ? ((last.ticks - first.ticks) / TICKS_PER_S / ((lastAt - firstAt) / 1000)) * 100 : 0,
    exited: lastAt !== lastTime,
  }));
}

export interface BackendServer {
  server: string;
  /** UP, DOWN, MAINT, ... */
  status: string;
  sessions: number;
  /** Times the checks took it from UP to DOWN since HAProxy started. */
  downs: number;
}

/** `show stat` CSV, read by its header: the backend's servers. */
export function parseShowStat(csv: string): BackendServer[] {
  const lines = csv.split('\n').filter(Boolean);
  const header = lines[0]?.replace(/^# /, '').split(',') ?? [];
  const col = (name: string) => header.indexOf(name);
  return lines
    .slice(1)
    .map((l) => l.split(','))
    .filter((r) => r[col('svname')] !== 'FRONTEND' && r[col('svname')] !== 'BACKEND' && r[col('svname')] !== undefined)
    .map((r) => ({
      server: `${r[col('pxname')]}/${r[col('svname')]}`,
      status: r[col('status')] ?? '?',
      sessions: Number(r[col('scur')] ?? 0),
      downs: Number(r[col('chkdown')] ?? 0),
    }));
}

/** HAProxy's admin socket is a file: reachable from here without entering the host. */
export function haproxyBackends(socketPath: string): Promise<BackendServer[]> {
  return new Promise((resolve) => {
    let data = '';
    const sock = connect(socketPath, () => sock.end('show stat\n'));
    sock.setTimeout(3000, () => sock.destroy());
    sock.on('data', (chunk) => (data += chunk));
    sock.on('error', () => resolve([]));
    sock.on('close', () => resolve(parseShowStat(data)));
  });
}

/** HAProxy over a run: its backends at the end, UP -> DOWN transitions, and each server's sessions per second. */
export interface HaproxySummary {
  servers: BackendServer[];
  markedDown: number;
  sessionsPerServer: Record<string, number[]>;
}

/** From one `show stat` a second; a server first seen late has 0 sessions before. */
export function haproxySummary(rounds: BackendServer[][]): HaproxySummary {
  const sessionsPerServer: Record<string, number[]> = {};
  rounds.forEach((round, i) => round.forEach((b) => ((sessionsPerServer[b.server] ??= Array(i).fill(0))[i] = b.sessions)));
  const downs = (round: BackendServer[] | undefined) => (round ?? []).reduce((n, b) => n + b.downs, 0);
  return { servers: rounds.at(-1) ?? [], markedDown: downs(rounds.at(-1)) - downs(rounds[0]), sessionsPerServer };
}

export interface ServerSamples {
  /** One round of process samples a second, taken at `times`. */
  rounds: ProcSample[][];
  times: number[];
  /** HAProxy's backends, sampled with each round when asked for. */
  backends: BackendServer[][];
}

/** Samples `hosts` (and HAProxy's backends through `haproxySocket`) at each whole second from `startAt` until stopped. */
export function sampleServers(hosts: Array<{ name: string; netns: string }>, haproxySocket: string | undefined, startAt: number) {
  const samples: ServerSamples = { rounds: [], times: [], backends: [] };
  let sampling = true;
  const loop = (async () => {
    for (let second = 0; sampling; second++) {
      await new Promise((r) => setTimeout(r, Math.max(0, startAt + second * 1000 - Date.now())));
      samples.times.push(Date.now());
      samples.rounds.push(await sampleProcesses(hosts));
      if (haproxySocket) samples.backends.push(await haproxyBackends(haproxySocket));
    }
  })();
  const stop = async (): Promise<ServerSamples> => {
    sampling = false;
    await loop;
    return samples;
  };
  return { stop };
}

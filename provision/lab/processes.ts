// The processes of a namespace host are exactly those in its network namespace (`ip netns pids`):
// found by namespace, stopped by PID, never by name and never outside the lab.
import { readFile } from 'node:fs/promises';
import type { NetnsHost } from './plan.ts';
import { ipQuiet } from '../run.ts';

export interface Proc {
  pid: number;
  command: string;
}

export async function hostPids(h: NetnsHost): Promise<number[]> {
  const { stdout, exitCode } = await ipQuiet('netns', 'pids', h.netns);
  if (exitCode !== 0) return [];
  return stdout.split('\n').filter(Boolean).map(Number);
}

export async function hostProcesses(h: NetnsHost): Promise<Proc[]> {
  const procs = await Promise.all(
    (await hostPids(h)).map(async (pid) => {
      const command = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => undefined);
      return command === undefined ? undefined : { pid, command: command.trim() };
    }),
  );
  return procs.filter((p): p is Proc => p !== undefined);
}

const signal = (pid: number, sig: NodeJS.Signals) => {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone: that is what we wanted.
  }
};

/** Power-off: SIGKILL every process of the host at once, as a pulled plug would. */
export async function killHost(h: NetnsHost): Promise<number> {
  const pids = await hostPids(h);
  for (const pid of pids) signal(pid, 'SIGKILL');
  return pids.length;
}

/** The process group a stat line names (the field after the parenthesised command name). */
export const processGroup = (stat: string): number => Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);

/** A crash of one service of a host: SIGKILL to the process group its pid file records (run_service
 *  starts each daemon as a group leader), members checked to be the host's own. */
export async function killService(h: NetnsHost, name: string): Promise<number> {
  const runDir = h.binds.find((b) => b.target === '/run/chatlab')!.source;
  const leader = Number(await readFile(`${runDir}/${name}.pid`, 'utf8').catch(() => 'NaN'));
  if (!Number.isInteger(leader)) return 0;
  const members = [];
  for (const pid of await hostPids(h)) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
    if (stat !== undefined && processGroup(stat) === leader) members.push(pid);
  }
  for (const pid of members) signal(pid, 'SIGKILL');
  return members.length;
}

/** Shutdown: SIGTERM, a bounded wait for a clean exit, then SIGKILL for what is left. */
export async function stopHost(h: NetnsHost, graceMs = 10_000): Promise<number> {
  const pids = await hostPids(h);
  for (const pid of pids) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while ((await hostPids(h)).length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  for (const pid of await hostPids(h)) signal(pid, 'SIGKILL');
  while ((await hostPids(h)).length && Date.now() < deadline + 5000) await new Promise((r) => setTimeout(r, 50));
  return pids.length;
}

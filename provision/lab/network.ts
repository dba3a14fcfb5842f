// Namespaces, cables and routes of the namespace lab. Each step checks before it acts, so a
// half-made network from an interrupted run is completed rather than duplicated or refused.
import type { NetnsHost, NetnsPlan } from './plan.ts';
import { ip, ipQuiet } from '../run.ts';
import { parseCidr } from '../model.ts';
import { EX, LabError } from '../errors.ts';

const range = (cidr: string) => {
  const { network, prefixLength } = parseCidr(cidr.includes('/') ? cidr : `${cidr}/32`);
  return [network, network + 2 ** (32 - prefixLength) - 1] as const;
};

/**
 * Routes of this machine that overlap the lab subnet and are not the lab's own (a libvirt or
 * VirtualBox network on the same range, another lab): with one of those, lab traffic could go
 * somewhere else, so the lab refuses to start.
 */
export async function foreignRoutes(plan: NetnsPlan): Promise<string[]> {
  const { stdout } = await ipQuiet('-j', 'route', 'show', 'table', 'all');
  const [lo, hi] = range(plan.subnet);
  const routes = JSON.parse(stdout || '[]') as Array<{ dst: string; dev?: string; type?: string; table?: string }>;
  return routes
    .filter((r) => /^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(r.dst) && r.table !== 'local')
    .filter((r) => {
      const [a, b] = range(r.dst);
      return a <= hi && b >= lo;
    })
    .filter((r) => r.dev !== plan.workstationDevice && !(r.type === 'unreachable' && r.dst === plan.subnet))
    .map((r) => `${r.type && r.type !== 'unicast' ? `${r.type} ` : ''}${r.dst}${r.dev ? ` dev ${r.dev}` : ''}`);
}

export async function listNetns(): Promise<Set<string>> {
  const { stdout } = await ipQuiet('netns', 'list');
  return new Set(stdout.split('\n').map((l) => l.split(' ')[0]!).filter(Boolean));
}

async function ensureNetns(name: string, existing: Set<string>): Promise<void> {
  if (!existing.has(name)) await ip('netns', 'add', name);
  await ip('-n', name, 'link', 'set', 'lo', 'up');
}

const linkExists = async (netns: string | undefined, device: string) =>
  (await ipQuiet(...(netns ? ['-n', netns] : []), 'link', 'show', 'dev', device)).exitCode === 0;

export async function guardRoutePresent(plan: NetnsPlan): Promise<boolean> {
  const { stdout } = await ipQuiet('route', 'show', 'type', 'unreachable', plan.subnet);
  return stdout.trim() !== '';
}

/**
 * The guard: the lab subnet unreachable, at the link route's own prefix but a higher metric. While
 * the adapter is up its link route (metric 0, made by the kernel for its address) wins; without it
 * a lab address fails here instead of following the default route off the machine.
 */
export const guardRouteArgs = (plan: NetnsPlan) => ['route', 'add', 'unreachable', plan.subnet, 'metric', String(plan.guardMetric)];

async function ensureGuardRoute(plan: NetnsPlan): Promise<void> {
  if (!(await guardRoutePresent(plan))) await ip(...guardRouteArgs(plan));
}

async function ensureCable(plan: NetnsPlan, h: NetnsHost): Promise<void> {
  if (!(await linkExists(h.netns, h.device))) {
    // A switch port whose host end is gone (host namespace deleted by hand) would block the name.
    if (await linkExists(plan.switchNetns, h.switchPort)) await ip('-n', plan.switchNetns, 'link', 'del', h.switchPort);
    await ip('link', 'add', h.device, 'netns', h.netns, 'type', 'veth', 'peer', 'name', h.switchPort, 'netns', plan.switchNetns);
  }
  await ip('-n', plan.switchNetns, 'link', 'set', h.switchPort, 'master', plan.bridge, 'up');
  await ip('-n', h.netns, 'addr', 'replace', `${h.host.address}/${plan.workstationCidr.split('/')[1]}`, 'dev', h.device);
  await ip('-n', h.netns, 'link', 'set', h.device, 'up');
}

/** Makes whatever is missing; the guard route comes first, before any lab address exists here. */
export async function ensureNetwork(plan: NetnsPlan): Promise<void> {
  const foreign = await foreignRoutes(plan);
  if (foreign.length) {
    throw new LabError(`the lab subnet ${plan.subnet} is already routed elsewhere on this machine (${foreign.join('; ')}): free it or choose another subnet`, EX.unavailable);
  }
  await ensureGuardRoute(plan);
  const existing = await listNetns();
  await ensureNetns(plan.switchNetns, existing);
  if (!(await linkExists(plan.switchNetns, plan.bridge))) {
    await ip('-n', plan.switchNetns, 'link', 'add', plan.bridge, 'type', 'bridge');
  }
  await ip('-n', plan.switchNetns, 'link', 'set', plan.bridge, 'up');
  for (const h of plan.hosts) {
    await ensureNetns(h.netns, existing);
    await ensureCable(plan, h);
  }
  if (!(await linkExists(undefined, plan.workstationDevice))) {
    await ip('link', 'add', plan.workstationDevice, 'type', 'veth', 'peer', 'name', plan.workstationPort, 'netns', plan.switchNetns);
  }
  await ip('-n', plan.switchNetns, 'link', 'set', plan.workstationPort, 'master', plan.bridge, 'up');
  await ip('addr', 'replace', plan.workstationCidr, 'dev', plan.workstationDevice);
  await ip('link', 'set', plan.workstationDevice, 'up');
}

/** Pull (false) or replug (true) a host's cable at the switch. */
export async function setCable(plan: NetnsPlan, h: NetnsHost, connected: boolean): Promise<void> {
  await ip('-n', plan.switchNetns, 'link', 'set', h.switchPort, connected ? 'up' : 'down');
}

export async function cableConnected(plan: NetnsPlan, h: NetnsHost): Promise<boolean> {
  const { stdout } = await ipQuiet('-n', plan.switchNetns, '-o', 'link', 'show', 'dev', h.switchPort);
  return /[<,]UP[,>]/.test(stdout);
}

/**
 * Removes every namespace and route the plan names (deleting the switch namespace deletes every
 * cable with it). Processes must be gone first: the caller stops them by PID.
 */
export async function destroyNetwork(plan: NetnsPlan): Promise<void> {
  const existing = await listNetns();
  for (const name of [...plan.hosts.map((h) => h.netns), plan.switchNetns]) {
    if (existing.has(name)) await ip('netns', 'del', name);
  }
  // Deleting the switch namespace also takes this end of the cable, but not always at once.
  if ((await ipQuiet('link', 'del', plan.workstationDevice)).exitCode !== 0 && (await linkExists(undefined, plan.workstationDevice))) {
    throw new LabError(`cannot remove ${plan.workstationDevice}`);
  }
  while (await guardRoutePresent(plan)) await ip('route', 'del', 'unreachable', plan.subnet);
}

// libvirt on a machine without systemd: libvirtd and virtlogd as plain processes, the lab's
// isolated networks, and a teardown that removes exactly what `up` and Vagrant added. What was
// started or found is recorded in a state directory, so `down` works from another process.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { lab } from '../lab.ts';
import { resolveLab } from '../model.ts';
import { run, startDetached } from '../run.ts';
import { chainCleanup } from './firewall.ts';
import { networkXml, type IsolatedNetwork } from './libvirt-xml.ts';
import { BOX_NAME } from './spec.ts';
import { EX, LabError } from '../errors.ts';

const URI = 'qemu:///system';
const SEC = 1_000;

/** The lab network (the VirtualBox host-only plan) and the management network Vagrant reaches
 *  guests through; both without <forward>. Bridge names keep clear of the namespace lab's veths. */
export function labNetworks(): { lab: IsolatedNetwork; management: IsolatedNetwork } {
  const l = resolveLab(lab);
  return {
    lab: { name: `${l.spec.name}-lab`, bridge: `vbr-${l.spec.name}`, hostAddress: l.workstationAddress, prefixLength: l.prefixLength },
    management: {
      name: `${l.spec.name}-mgmt`,
      bridge: `vbr-${l.spec.name}-mg`,
      hostAddress: MANAGEMENT.host,
      prefixLength: 24,
      dhcpRange: { start: MANAGEMENT.dhcpStart, end: MANAGEMENT.dhcpEnd },
    },
  };
}

/** vagrant-libvirt's own default management subnet: nothing else on the machine uses it. */
export const MANAGEMENT = {
  network: '192.168.121.0/24',
  host: '192.168.121.1',
  dhcpStart: '192.168.121.10',
  dhcpEnd: '192.168.121.254',
};

interface Started {
  name: string;
  pid: number;
  /** /proc/PID/stat field 22: tells a reused PID from ours. */
  startTime: string;
}

interface HostState {
  daemons: Started[];
  networks: string[];
  poolsBefore: string[];
  iptablesBefore: Record<string, string>;
}

const statePath = (dir: string) => path.join(dir, 'state.json');

async function virsh(args: string[], check = true) {
  return run(['virsh', '--connect', URI, '--quiet', ...args], { timeoutMs: 60 * SEC, check });
}

async function libvirtAnswers(): Promise<boolean> {
  const r = await run(['virsh', '--connect', URI, 'uri'], { timeoutMs: 10 * SEC, check: false }).catch(() => undefined);
  return r?.exitCode === 0;
}

async function procStartTime(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  // Field 2 (comm) may contain spaces; count fields from after its closing parenthesis.
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

async function startDaemon(name: string, binary: string, stateDir: string): Promise<Started> {
  const pid = startDetached([binary], path.join(stateDir, `${name}.log`));
  await new Promise((r) => setTimeout(r, 200));
  const startTime = await procStartTime(pid);
  if (startTime === undefined) throw new LabError(`${binary} exited at once; see ${stateDir}/${name}.log`, EX.unavailable);
  return { name, pid, startTime };
}

async function saveIptables(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const tool of ['iptables', 'ip6tables']) {
    const r = await run([`${tool}-save`], { timeoutMs: 30 * SEC, check: false }).catch(() => undefined);
    if (r?.exitCode === 0) out[tool] = r.stdout;
  }
  return out;
}

async function listNames(kind: 'net' | 'pool'): Promise<string[]> {
  const { stdout } = await virsh([`${kind}-list`, '--all', '--name']);
  return stdout.split('\n').map((s) => s.trim()).filter(Boolean);
}

export async function hostUp(
  stateDir: string,
  log: (m: string) => void,
  networks: IsolatedNetwork[] = Object.values(labNetworks()),
): Promise<void> {
  await mkdir(stateDir, { recursive: true });
  if (existsSync(statePath(stateDir))) throw new LabError(`${statePath(stateDir)} exists: run 'chatlab box host down' first`, EX.unavailable);
  const state: HostState = { daemons: [], networks: [], poolsBefore: [], iptablesBefore: await saveIptables() };
  const save = () => writeFile(statePath(stateDir), `${JSON.stringify(state, null, 2)}\n`);
  await save();

  if (await libvirtAnswers()) {
    log('libvirtd is already running: using it, and leaving it running');
  } else {
    // qemu asks virtlogd for its console log, so virtlogd comes first.
    for (const [name, binary] of [['virtlogd', '/usr/sbin/virtlogd'], ['libvirtd', '/usr/sbin/libvirtd']] as const) {
      state.daemons.push(await startDaemon(name, binary, stateDir));
      await save();
      log(`started ${name} (pid ${state.daemons.at(-1)!.pid})`);
    }
    const deadline = Date.now() + 30 * SEC;
    while (!(await libvirtAnswers())) {
      if (Date.now() > deadline) throw new LabError(`libvirtd did not answer within 30 s; see ${stateDir}/libvirtd.log`, EX.tempFail);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  state.poolsBefore = await listNames('pool');
  await save();

  const existing = await listNames('net');
  const addresses = (await run(['ip', '-o', '-4', 'addr', 'show'], { timeoutMs: 10 * SEC })).stdout;
  for (const net of networks) {
    const holder = addresses.split('\n').find((l) => l.includes(` ${net.hostAddress}/`) && !l.includes(` ${net.bridge} `));
    if (holder) {
      throw new LabError(
        `${net.hostAddress} is already on interface ${holder.split(/\s+/)[1]}: the namespace lab (or a VirtualBox host-only network) uses the same plan; take it down first`,
        EX.unavailable,
      );
    }
    if (existing.includes(net.name)) {
      log(`network ${net.name} exists (left over?): redefining it`);
      await virsh(['net-destroy', net.name], false);
      await virsh(['net-undefine', net.name], false);
    }
    const file = path.join(stateDir, `${net.name}.xml`);
    await writeFile(file, networkXml(net));
    state.networks.push(net.name);
    await save();
    // Transient: nothing is written under /etc/libvirt, so even a libvirtd that dies before
    // `down` leaves no network definition behind.
    await virsh(['net-create', file]);
    const { stdout } = await virsh(['net-dumpxml', net.name]);
    if (stdout.includes('<forward')) throw new LabError(`libvirt gave network ${net.name} a <forward>: refusing to go on`, EX.osErr);
    log(`network ${net.name}: ${net.hostAddress}/${net.prefixLength} on ${net.bridge}, isolated`);
  }
}

/** Removes everything `hostUp` and Vagrant added. Safe to run twice, and after a failed `up`. */
export async function hostDown(stateDir: string, log: (m: string) => void): Promise<void> {
  const text = await readFile(statePath(stateDir), 'utf8').catch(() => undefined);
  if (text === undefined) {
    log(`nothing to tear down (no ${statePath(stateDir)})`);
    return;
  }
  const state = JSON.parse(text) as HostState;
  const errors: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (e) {
      errors.push(`${what}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  if (await libvirtAnswers()) {
    await attempt('domains', () => removeDomainsOn(state.networks, log));
    await attempt('box volumes', () => removeBoxVolumes(log));
    await attempt('pools', () => removeNewEmptyPools(state.poolsBefore, log));
    for (const name of state.networks) {
      const r = await virsh(['net-destroy', name], false);
      // A definition left by an older run, if any.
      await virsh(['net-undefine', name], false);
      if (r.exitCode === 0) log(`removed network ${name}`);
    }
  }
  for (const d of [...state.daemons].reverse()) await attempt(`stop ${d.name}`, () => stopDaemon(d, log));
  await attempt('firewall chains', () => removeNewChains(state.iptablesBefore, log));
  if (errors.length > 0) throw new LabError(`teardown incomplete:\n  ${errors.join('\n  ')}`, EX.osErr);
  await rm(stateDir, { recursive: true, force: true });
}

/** Our domains are the ones with a NIC on one of our networks. */
async function removeDomainsOn(networks: string[], log: (m: string) => void): Promise<void> {
  const { stdout } = await virsh(['list', '--all', '--name']);
  for (const dom of stdout.split('\n').map((s) => s.trim()).filter(Boolean)) {
    const ifaces = (await virsh(['domiflist', dom])).stdout;
    const on = ifaces.split('\n').some((line) => networks.includes(line.trim().split(/\s+/)[2] ?? ''));
    if (!on) continue;
    await virsh(['destroy', dom], false);
    await virsh(['undefine', dom, '--remove-all-storage', '--nvram'], false);
    log(`removed domain ${dom} and its volumes`);
  }
}

/** vagrant-libvirt uploads the box into a pool volume named after it, and keeps it. */
async function removeBoxVolumes(log: (m: string) => void): Promise<void> {
  for (const pool of await listNames('pool')) {
    const { stdout } = await virsh(['vol-list', pool], false);
    for (const line of stdout.split('\n')) {
      const vol = line.trim().split(/\s+/)[0];
      if (!vol?.startsWith(`${BOX_NAME}_vagrant_box_image`)) continue;
      await virsh(['vol-delete', vol, '--pool', pool]);
      log(`removed volume ${pool}/${vol}`);
    }
  }
}

async function removeNewEmptyPools(before: string[], log: (m: string) => void): Promise<void> {
  for (const pool of await listNames('pool')) {
    if (before.includes(pool)) continue;
    await virsh(['pool-refresh', pool], false);
    const { stdout } = await virsh(['vol-list', pool], false);
    if (stdout.trim() !== '') {
      log(`pool ${pool} still holds volumes: kept`);
      continue;
    }
    await virsh(['pool-destroy', pool], false);
    await virsh(['pool-undefine', pool]);
    log(`removed pool ${pool}`);
  }
}

async function stopDaemon(d: Started, log: (m: string) => void): Promise<void> {
  const ours = async () => (await procStartTime(d.pid)) === d.startTime;
  if (!(await ours())) return;
  for (const [signal, waitMs] of [['SIGTERM', 20 * SEC], ['SIGKILL', 5 * SEC]] as const) {
    process.kill(d.pid, signal);
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline) {
      if (!(await ours())) {
        log(`stopped ${d.name} (pid ${d.pid})`);
        return;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new LabError(`${d.name} (pid ${d.pid}) survived SIGKILL`, EX.osErr);
}

async function removeNewChains(before: Record<string, string>, log: (m: string) => void): Promise<void> {
  const now = await saveIptables();
  for (const [tool, text] of Object.entries(now)) {
    const commands = chainCleanup(before[tool] ?? '', text);
    for (const args of commands) await run([tool, ...args], { timeoutMs: 30 * SEC });
    if (commands.length > 0) log(`${tool}: removed libvirt's chains`);
  }
}

// The namespace lab as data: which namespaces, links, addresses, routes and bind mounts the runner
// makes for a Lab. Pure, so the plan can be checked without root or a running lab.
import path from 'node:path';
import type { Host, Lab } from '../model.ts';
import { COMMON_DIRS, ROLE_DIRS } from '../roles.ts';

export interface Bind {
  source: string;
  target: string;
  /** Copy the packaged contents of target into source when source is first made. */
  seed: boolean;
}

export interface NetnsHost {
  host: Host;
  netns: string;
  /** The host's end of its cable, inside its namespace. */
  device: string;
  /** The switch's end of the cable, inside the switch namespace; `cut` takes it down. */
  switchPort: string;
  root: string;
  binds: Bind[];
}

export interface NetnsPlan {
  switchNetns: string;
  bridge: string;
  /** The workstation's adapter into the lab, like VirtualBox's host-only vboxnet0. */
  workstationDevice: string;
  workstationPort: string;
  workstationCidr: string;
  subnet: string;
  /** Behind the link route: with the adapter gone, lab addresses fail here instead of leaving. */
  guardMetric: number;
  hosts: NetnsHost[];
  stateDir: string;
}

export function hostRoot(stateDir: string, hostName: string): string {
  return path.join(stateDir, 'hosts', hostName);
}

export function planNetns(lab: Lab, stateDir: string): NetnsPlan {
  const prefix = lab.spec.name;
  return {
    switchNetns: `${prefix}-switch`,
    bridge: 'br0',
    workstationDevice: `${prefix}0`,
    workstationPort: 'workstation',
    workstationCidr: `${lab.workstationAddress}/${lab.prefixLength}`,
    subnet: `${lab.networkAddress}/${lab.prefixLength}`,
    guardMetric: 4000,
    stateDir,
    hosts: lab.hosts.map((host) => {
      const root = hostRoot(stateDir, host.name);
      return {
        host,
        netns: `${prefix}-${host.name}`,
        device: 'eth0',
        switchPort: host.name,
        root,
        binds: [...COMMON_DIRS, ...ROLE_DIRS[host.role]].map((target) => ({
          source: path.join(root, target),
          target,
          seed: target.startsWith('/etc/'),
        })),
      };
    }),
  };
}

/** Where a path inside a host (in one of its own directories) is seen from this machine. */
export function outsidePath(h: NetnsHost, inside: string): string {
  const bind = h.binds.find((b) => inside.startsWith(`${b.target}/`));
  if (!bind) throw new Error(`${inside} is in none of ${h.host.name}'s own directories`);
  return path.join(bind.source, path.relative(bind.target, inside));
}

export function findHost(plan: NetnsPlan, name: string): NetnsHost | undefined {
  return plan.hosts.find((h) => h.host.name === name);
}

// Runs inside `ip netns exec` (which already gave the command a private mount namespace and
// /etc/netns/NAME/{hosts,resolv.conf}): bind this host's own directories, then exec the command.
const ENTER = 'while [ "$1" != -- ]; do mount --bind "$1" "$2"; shift 2; done; shift; exec "$@"';

/** argv that runs `command` as a process of `host`: its network, its files. */
export function hostArgv(h: NetnsHost, command: string[]): string[] {
  return ['ip', 'netns', 'exec', h.netns, 'sh', '-ec', ENTER, 'chatlab-enter', ...h.binds.flatMap((b) => [b.source, b.target]), '--', ...command];
}

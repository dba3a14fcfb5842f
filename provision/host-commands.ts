// Every external command the project runs, the Debian package it comes from, and the steps that
// run it; each step's install list. One table, so that a command nobody installs fails a test
// (test/unit/host-commands.test.ts scans the code for commands) instead of a fresh machine's CI.
import { ROLE_PACKAGES } from './roles.ts';
import { LAB_PACKAGES, SYSTEM_PACKAGES } from './box/spec.ts';
import type { Role } from './model.ts';

/** Where a command runs:
 *  - `lab`: `chatlab` itself on the machine (namespaces, secrets, load);
 *  - `role:R`: a role's provisioning script, or a command the lab runs on a host of role R
 *    (namespace hosts share the machine's root filesystem; VMs have their own);
 *  - `test`, `bench`: the test suite and `npm run bench`, on a machine where `chatlab up` ran;
 *  - `box`: `chatlab box` (build the libvirt box, run libvirtd without systemd);
 *  - `vm-stage`: CI's real-VM stage around it (.ci/vagrant-stage.sh, test/vagrant/smoke.sh);
 *  - `guest`: inside the box image while it is built (provision/box/guest-setup.sh). */
export type Step = 'lab' | 'test' | 'bench' | 'box' | 'vm-stage' | 'guest' | `role:${Role}`;

/** What a fresh machine of the project's kind (Debian 12, Node.js from Debian's nodejs) already
 *  has, of the packages commands here come from. Compared with the image's package list by hand
 *  (README, CI section); a package missing from it is installed by the step that needs it. */
export const MACHINE_BASE = [
  'apt', 'bash', 'coreutils', 'dash', 'diffutils', 'dpkg', 'e2fsprogs', 'findutils', 'git', 'grep', 'iproute2',
  'mawk', 'mount', 'nodejs', 'openssl', 'procps', 'sed', 'tar', 'util-linux',
];

/** What every target of a role script has before the script installs anything: the machine
 *  above, the chatlab box and Vagrant's debian/bookworm64 (priority required and important). */
export const ROLE_BASE = ['apt', 'bash', 'coreutils', 'dash', 'diffutils', 'dpkg', 'findutils', 'grep', 'iproute2', 'mawk', 'mount', 'procps', 'sed', 'util-linux'];

/** What debootstrap's minbase variant installs (priority required), of the packages here. */
const MINBASE = ['apt', 'bash', 'coreutils', 'dash', 'diffutils', 'dpkg', 'findutils', 'grep', 'mawk', 'mount', 'passwd', 'sed', 'tar', 'util-linux'];

/** Packages each step installs on the machine, beyond MACHINE_BASE. Some are needed by a program,
 *  not run by name: libvirtd drives qemu-system-x86 and dnsmasq; vagrant loads vagrant-libvirt. */
export const STEP_INSTALLS = {
  lab: ['iproute2', 'util-linux', 'openssl', 'procps'],
  test: ['shellcheck', 'vagrant', 'bind9-dnsutils', 'git', 'man-db'],
  bench: ['go-sendxmpp', 'time'],
  box: [
    'debootstrap', 'fdisk', 'e2fsprogs', 'qemu-utils', 'vagrant', 'libvirt-daemon-system', 'libvirt-daemon-driver-qemu',
    'libvirt-clients', 'qemu-system-x86', 'dnsmasq-base', 'iptables',
  ],
  'vm-stage': ['vagrant', 'vagrant-libvirt', 'iputils-ping', 'bind9-dnsutils'],
} as const satisfies Record<string, readonly string[]>;

type MachineStep = keyof typeof STEP_INSTALLS;

/** What is there when a step's commands run: its own installs plus what runs before it (the test
 *  suite and the bench run after `chatlab up`, the VM stage runs `chatlab box`). */
export function available(step: Step): Set<string> {
  if (step === 'guest') return new Set([...MINBASE, ...SYSTEM_PACKAGES, ...LAB_PACKAGES]);
  // The client host exists only in the namespace lab, on the machine's own files.
  if (step === 'role:client') return new Set([...MACHINE_BASE, ...ROLE_PACKAGES.client]);
  if (step.startsWith('role:')) return new Set([...ROLE_BASE, ...ROLE_PACKAGES[step.slice(5) as Role]]);
  const allRoles = Object.values(ROLE_PACKAGES).flat();
  const before: Record<MachineStep, readonly string[]> = {
    lab: [],
    test: [...STEP_INSTALLS.lab, ...allRoles],
    bench: [...STEP_INSTALLS.lab, ...allRoles],
    box: [],
    'vm-stage': STEP_INSTALLS.box,
  };
  const own = STEP_INSTALLS[step as MachineStep];
  return new Set([...MACHINE_BASE, ...own, ...before[step as MachineStep]]);
}

/** What `chatlab packages STEP` prints, for the scripts that install a step's packages. */
export function installList(step: MachineStep): string[] {
  return [...new Set([...STEP_INSTALLS[step], ...(step === 'vm-stage' ? STEP_INSTALLS.box : [])])].sort();
}

export const MACHINE_STEPS = Object.keys(STEP_INSTALLS) as MachineStep[];

export interface HostCommand {
  command: string;
  /** The package the step installs that brings it: the owner, or a package depending on it. */
  package: string;
  steps: readonly Step[];
  /** Run only where systemd is PID 1 (a VM), which has systemd by definition. */
  systemdOnly?: true;
}

const ROLES = ['role:haproxy', 'role:prosody', 'role:ejabberd', 'role:db', 'role:client'] as const;
/** Packages every step's machine has (MACHINE_BASE, ROLE_BASE and the box alike): their commands
 *  may run anywhere. */
const EVERYWHERE: readonly Step[] = ['lab', 'test', 'bench', 'box', 'vm-stage', 'guest', ...ROLES];
const BASE_COMMANDS: Record<string, string[]> = {
  apt: ['apt-cache', 'apt-get'],
  bash: ['bash'],
  coreutils: ['cat', 'chmod', 'chown', 'chroot', 'cp', 'date', 'dd', 'dirname', 'env', 'id', 'install', 'ln', 'mkdir', 'mktemp', 'nproc',
    'readlink', 'rm', 'sleep', 'sort', 'stat', 'tail', 'timeout', 'tr'],
  dash: ['sh'],
  diffutils: ['cmp'],
  dpkg: ['dpkg', 'dpkg-query', 'update-alternatives'],
  findutils: ['find'],
  grep: ['grep'],
  iproute2: ['ip', 'ss'],
  mawk: ['awk'],
  mount: ['losetup', 'mount', 'umount'],
  procps: ['free', 'pgrep', 'ps'],
  sed: ['sed'],
  'util-linux': ['fstrim', 'setpriv', 'setsid', 'unshare'],
};

// [command, package, steps]: one row per command.
const OWN_COMMANDS: [string, string, Step[]][] = [
  ['openssl', 'openssl', ['lab', 'test']],
  ['git', 'git', ['test', 'bench']],
  ['node', 'nodejs', ['lab', 'test', 'bench', 'vm-stage', 'role:client']],
  ['npm', 'nodejs', ['lab', 'test', 'bench']],
  ['shellcheck', 'shellcheck', ['test']],
  ['man', 'man-db', ['test']],
  ['vagrant', 'vagrant', ['test', 'box', 'vm-stage']],
  ['dig', 'bind9-dnsutils', ['test', 'vm-stage', 'role:client']],
  ['go-sendxmpp', 'go-sendxmpp', ['bench']],
  ['time', 'time', ['bench']],
  ['haproxy', 'haproxy', ['role:haproxy', 'test']],
  ['named-checkconf', 'bind9-utils', ['role:haproxy', 'test']],
  ['named-checkzone', 'bind9-utils', ['role:haproxy', 'test']],
  ['named', 'bind9', ['role:haproxy']],
  ['prosodyctl', 'prosody', ['role:prosody', 'test']],
  // lua5.4 is a dependency of prosody; the ring's test runs Prosody's own Lua libraries with it.
  ['lua5.4', 'prosody', ['test']],
  // mariadb-client and mariadb-server depend on the -core packages that own these three.
  ['mariadb', 'mariadb-client', ['role:prosody', 'role:ejabberd', 'role:db']],
  ['mariadb-admin', 'mariadb-server', ['role:prosody', 'role:db']],
  ['mariadb-install-db', 'mariadb-server', ['role:prosody', 'role:db']],
  ['ejabberdctl', 'ejabberd', ['role:ejabberd']],
  ['nft', 'nftables', ['role:ejabberd', 'role:db']],
  ['ping', 'iputils-ping', ['vm-stage']],
  ['debootstrap', 'debootstrap', ['box']],
  ['sfdisk', 'fdisk', ['box']],
  ['mkfs.ext4', 'e2fsprogs', ['box']],
  ['qemu-img', 'qemu-utils', ['box']],
  ['tar', 'tar', ['box']],
  ['virsh', 'libvirt-clients', ['box']],
  // libvirt-daemon-system depends on the packages that own both daemons.
  ['libvirtd', 'libvirt-daemon-system', ['box']],
  ['virtlogd', 'libvirt-daemon-system', ['box']],
  ['iptables', 'iptables', ['box']],
  ['ip6tables', 'iptables', ['box']],
  ['iptables-save', 'iptables', ['box']],
  ['ip6tables-save', 'iptables', ['box']],
  ['useradd', 'passwd', ['guest']],
  ['chpasswd', 'passwd', ['guest']],
  ['visudo', 'sudo', ['guest']],
  ['grub-mkimage', 'grub-pc-bin', ['guest']],
];

export const HOST_COMMANDS: readonly HostCommand[] = [
  ...Object.entries(BASE_COMMANDS).flatMap(([pkg, commands]) => commands.map((command) => ({ command, package: pkg, steps: EVERYWHERE }))),
  ...OWN_COMMANDS.map(([command, pkg, steps]) => ({ command, package: pkg, steps })),
  { command: 'systemctl', package: 'systemd', steps: ['guest', 'lab', 'role:haproxy', 'role:prosody', 'role:ejabberd', 'role:db'], systemdOnly: true },
];

/** The row for a command, if the table has one. */
export const commandRow = (command: string): HostCommand | undefined => HOST_COMMANDS.find((r) => r.command === command);

/** The commands these steps run that cannot be found here, with the package that brings each.
 *  `lookup` says whether a command can be found; `systemd` whether systemd is PID 1. */
export function missingCommands(steps: readonly Step[], lookup: (command: string) => boolean, systemd: boolean): HostCommand[] {
  return HOST_COMMANDS.filter((r) => r.steps.some((s) => steps.includes(s)) && (systemd || !r.systemdOnly) && !lookup(r.command));
}

// What the box is made of, and the cache key derived from it. Pure: no I/O, so the cache decision
// can be unit-tested and the same inputs always give the same hash.
import { createHash } from 'node:crypto';
import { ROLE_PACKAGES } from '../roles.ts';

/** The name the box is added under. No slash: a slashed name that is missing locally makes
 *  Vagrant ask the public box catalogue, and guests here must never need anything remote. */
export const BOX_NAME = 'chatlab-bookworm';

/** Where built boxes are cached (CHATLAB_BOX_CACHE, --cache-dir), and where `box host up` records
 *  what it started (CHATLAB_BOX_STATE, --state-dir). */
export const DEFAULT_CACHE_DIR = '/var/cache/chatlab-box';
export const DEFAULT_STATE_DIR = '/run/chatlab-box';

/** Bump whenever image.ts changes what ends up in the image: the guest script and the package
 *  lists are hashed by content, the host-side build steps are only covered by this number. */
export const BUILDER_VERSION = 5;

export const SUITE = 'bookworm';

/** Sparse virtual disk; the qcow2 only holds what was written. */
export const DISK_GIB = 16;

/** The first partition starts at 1 MiB: sectors 1..2047 hold GRUB's core.img, as grub-install
 *  would put it on an msdos disk. */
export const PARTITION_START_SECTOR = 2048;

export const ROOT_LABEL = 'chatlab-root';

/** The lab's own software: every package a role's provisioning script ensures (one list, in
 *  provision/roles.ts), installed the way those scripts would (without Recommends: the guest
 *  script), so a guest needs no mirror. */
export const LAB_PACKAGES: readonly string[] = [
  ...new Set([...Object.entries(ROLE_PACKAGES).filter(([role]) => role !== 'client').flatMap(([, p]) => p), 'openssl']),
].sort();

/** What a bootable Vagrant guest needs on top of debootstrap's minbase (no Recommends: the box
 *  stays small and every part of it is named here). */
export const SYSTEM_PACKAGES = [
  // The cloud flavour: virtio drivers without the hardware ones, a third of the size.
  'linux-image-cloud-amd64',
  'grub-pc-bin',
  'systemd-sysv',
  'udev',
  'dbus',
  'libpam-systemd',
  'e2fsprogs',
  'ifupdown',
  'isc-dhcp-client',
  'iproute2',
  'iputils-ping',
  'netbase',
  'openssh-server',
  'sudo',
  'rsync',
  'procps',
  'less',
  'ca-certificates',
] as const;

/** Both want port 5222: the box keeps them off and each host's provisioning enables its own. */
export const DISABLED_SERVICES = ['prosody.service', 'ejabberd.service'] as const;

/** Timers that would only try to reach a mirror the guests cannot see, and burn emulated CPU. */
export const DISABLED_TIMERS = ['apt-daily.timer', 'apt-daily-upgrade.timer', 'man-db.timer'] as const;

/** Vagrant's well-known insecure key: Vagrant logs in with it once and swaps in a fresh pair. */
export const VAGRANT_INSECURE_PUBLIC_KEY =
  'ssh-rsa AAAAB3NzaC1yc2EAAAABIwAAAQEA6NF8iallvQVp22WDkTkyrtvp9eWW6A8YVr+kz4TjGYe7gHzIw+niNltGEFHzD8+v1I2YJ6oXevct1YeS0o9HZyN1Q9qgCgzUFtdOKLv6IedplqoPkcmF0aYet2PkEDo3MlTBckFXPITAMzF8dJSIFo9D8HfdOV0IAdx4O7PtixWKn5y2hMNG0zQPyUecp4pzC6kivAIhyfHilFR61RGL+GPXQ2MWZWFYbAGjyiYJnAmCP3NOTd0jMZEnDkbUvxhMmBYSdETk1rRgm+R4LOzFUGaHqHDLKLX+FIPKcF96hrucXzcWyLbIbEgE98OHlnVYCzRdK8jlqm8tehUc9c9WhQ== vagrant insecure public key';

/** Predictable interface names would differ per machine type; Vagrant's Debian guest code and
 *  the lab's scripts talk about eth0/eth1. */
export const KERNEL_CMDLINE = 'ro net.ifnames=0 biosdevname=0 console=tty0 console=ttyS0,115200n8';

export interface BoxInputs {
  builderVersion: number;
  suite: string;
  diskGiB: number;
  kernelCmdline: string;
  labPackages: readonly string[];
  systemPackages: readonly string[];
  disabledServices: readonly string[];
  disabledTimers: readonly string[];
  vagrantKey: string;
  /** Full text of the script run inside the image. */
  guestScript: string;
}

export function boxInputs(guestScript: string): BoxInputs {
  return {
    builderVersion: BUILDER_VERSION,
    suite: SUITE,
    diskGiB: DISK_GIB,
    kernelCmdline: KERNEL_CMDLINE,
    labPackages: LAB_PACKAGES,
    systemPackages: SYSTEM_PACKAGES,
    disabledServices: DISABLED_SERVICES,
    disabledTimers: DISABLED_TIMERS,
    vagrantKey: VAGRANT_INSECURE_PUBLIC_KEY,
    guestScript,
  };
}

/** Order of package names does not change the image, so it must not change the key. */
export function inputsHash(inputs: BoxInputs): string {
  const canonical = {
    ...inputs,
    labPackages: [...inputs.labPackages].sort(),
    systemPackages: [...inputs.systemPackages].sort(),
    disabledServices: [...inputs.disabledServices].sort(),
    disabledTimers: [...inputs.disabledTimers].sort(),
  };
  const keys = Object.keys(canonical).sort();
  return createHash('sha256').update(JSON.stringify(canonical, keys)).digest('hex').slice(0, 16);
}

export type CacheDecision = { action: 'reuse' } | { action: 'build'; reason: string };

export interface CacheState {
  /** Hash recorded next to a finished box, or undefined when there is none. */
  recordedHash: string | undefined;
  boxFileExists: boolean;
}

export function cacheDecision(wanted: string, state: CacheState, force: boolean): CacheDecision {
  if (force) return { action: 'build', reason: 'forced' };
  if (!state.boxFileExists) return { action: 'build', reason: 'no cached box' };
  if (state.recordedHash !== wanted) {
    return { action: 'build', reason: `inputs changed (${state.recordedHash ?? 'none'} -> ${wanted})` };
  }
  return { action: 'reuse' };
}

// Builds the box image: debootstrap into a partitioned raw disk image, configure it in a chroot,
// write GRUB by hand, shrink, convert to qcow2 and pack. Needs root. Every step that mounts or
// attaches something registers its undo first, so a failure at any point leaves nothing mounted.
import { randomUUID } from 'node:crypto';
import { chmod, copyFile, mkdir, readdir, readFile, readlink, rename, rm, rmdir, stat, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { projectRoot } from '../paths.ts';
import { EX, LabError } from '../errors.ts';
import { run } from '../run.ts';
import { guestSources, parseAptSources, type GuestSources } from './apt-sources.ts';
import { timed, type Timing } from './timing.ts';
import { boxVagrantfile, metadataJson } from './metadata.ts';
import { mountsUnder } from './mounts.ts';
import {
  DISABLED_SERVICES,
  DISABLED_TIMERS,
  DISK_GIB,
  KERNEL_CMDLINE,
  LAB_PACKAGES,
  PARTITION_START_SECTOR,
  ROOT_LABEL,
  SUITE,
  SYSTEM_PACKAGES,
  VAGRANT_INSECURE_PUBLIC_KEY,
  type BoxInputs,
} from './spec.ts';

export const GUEST_SCRIPT = path.join(projectRoot, 'provision', 'box', 'guest-setup.sh');

const MIN = 60_000;
const SECTOR = 512;

/** Where a build works, and what it must undo (last in, first out). */
interface Work {
  dir: string;
  raw: string;
  mnt: string;
  logFile: string;
  debCache: string;
  aptCache: string;
  undo: (() => Promise<unknown>)[];
}

export interface ImageOptions {
  hash: string;
  inputs: BoxInputs;
  /** The work directory (renamed to `finalDir` once the box is packed) and the box file in it. */
  workDir: string;
  finalDir: string;
  boxFile: string;
  cacheDir: string;
  log: (m: string) => void;
  timings: Timing[];
}

async function mount(w: Work, args: string[], target: string): Promise<void> {
  await mkdir(target, { recursive: true });
  await run(['mount', ...args, target], { timeoutMs: MIN });
  w.undo.push(() => run(['umount', target], { timeoutMs: MIN }));
}

export async function unmountAllUnder(dir: string): Promise<void> {
  // Bounded: each round removes one mount or fails.
  for (let round = 0; round < 64; round++) {
    const [deepest] = mountsUnder(await readFile('/proc/self/mountinfo', 'utf8'), dir);
    if (!deepest) return;
    await run(['umount', deepest], { timeoutMs: MIN });
  }
  throw new LabError(`mounts under ${dir} would not go away`, EX.osErr);
}

export async function detachLoopsBackedBy(file: string): Promise<void> {
  const { stdout } = await run(['losetup', '--noheadings', '--output', 'NAME', '--associated', file], { timeoutMs: MIN, check: false });
  for (const dev of stdout.split('\n').map((l) => l.trim()).filter(Boolean)) {
    await run(['losetup', '--detach', dev], { timeoutMs: MIN });
  }
}

async function hostGuestSources(): Promise<GuestSources> {
  const files: { name: string; text: string }[] = [];
  const main = '/etc/apt/sources.list';
  const text = await readFile(main, 'utf8').catch(() => undefined);
  if (text !== undefined) files.push({ name: main, text });
  const dir = '/etc/apt/sources.list.d';
  for (const name of (await readdir(dir).catch(() => [])).sort()) {
    files.push({ name, text: await readFile(path.join(dir, name), 'utf8') });
  }
  return guestSources(
    files.flatMap((f) => parseAptSources(f.name, f.text)),
    SUITE,
  );
}

async function partitionAndFormat(w: Work, rootUuid: string): Promise<void> {
  const diskBytes = DISK_GIB * 1024 ** 3;
  const partOffset = PARTITION_START_SECTOR * SECTOR;
  await writeFile(w.raw, '');
  await truncate(w.raw, diskBytes);
  await run(['sfdisk', '--quiet', w.raw], {
    timeoutMs: MIN,
    input: `label: dos\nstart=${PARTITION_START_SECTOR}, type=83, bootable\n`,
  });
  // No partition scanning or device-mapper on this kind of kernel: a loop device that starts
  // at the partition's offset stands in for /dev/loopNp1.
  const { stdout } = await run(
    ['losetup', '--find', '--show', '--offset', String(partOffset), '--sizelimit', String(diskBytes - partOffset), w.raw],
    { timeoutMs: MIN },
  );
  const loop = stdout.trim();
  w.undo.push(() => run(['losetup', '--detach', loop], { timeoutMs: MIN }));
  // GRUB 2.06 cannot read metadata_csum_seed; eager init keeps emulated guests from spending
  // their first minutes zeroing inode tables (the zeroes cost nothing in the qcow2).
  await run(
    ['mkfs.ext4', '-q', '-F', '-L', ROOT_LABEL, '-U', rootUuid, '-O', '^metadata_csum_seed', '-E', 'lazy_itable_init=0,lazy_journal_init=0', loop],
    { timeoutMs: 5 * MIN },
  );
  await mount(w, [loop], w.mnt);
}

async function configurePackages(w: Work, sources: GuestSources, rootUuid: string, log: (m: string) => void): Promise<void> {
  const { mnt } = w;
  await writeFile(path.join(mnt, 'etc/apt/sources.list.d/debian.sources'), sources.deb822);
  await rm(path.join(mnt, 'etc/apt/sources.list'), { force: true });
  // Package scripts ask policy-rc.d before starting a service; 101 means "not now".
  const policy = path.join(mnt, 'usr/sbin/policy-rc.d');
  await writeFile(policy, '#!/bin/sh\nexit 101\n');
  await chmod(policy, 0o755);
  w.undo.push(() => rm(policy, { force: true }));
  await mount(w, ['-t', 'proc', 'proc'], path.join(mnt, 'proc'));
  await mount(w, ['-t', 'sysfs', 'sysfs'], path.join(mnt, 'sys'));
  await mount(w, ['--bind', '/dev'], path.join(mnt, 'dev'));
  await mount(w, ['--bind', '/dev/pts'], path.join(mnt, 'dev/pts'));
  await mount(w, ['--bind', w.aptCache], path.join(mnt, 'var/cache/apt/archives'));
  const script = '/tmp/chatlab-guest-setup.sh';
  await copyFile(GUEST_SCRIPT, path.join(mnt, script));
  try {
    await run(['chroot', mnt, '/bin/sh', script], {
      timeoutMs: 40 * MIN,
      output: { logFile: w.logFile },
      cleanEnv: true,
      env: {
        PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
        HOME: '/root',
        BOX_SYSTEM_PACKAGES: SYSTEM_PACKAGES.join(' '),
        BOX_LAB_PACKAGES: LAB_PACKAGES.join(' '),
        BOX_ROOT_UUID: rootUuid,
        BOX_KERNEL_CMDLINE: KERNEL_CMDLINE,
        BOX_VAGRANT_KEY: VAGRANT_INSECURE_PUBLIC_KEY,
        BOX_DISABLED_UNITS: [...DISABLED_SERVICES, ...DISABLED_TIMERS].join(' '),
        BOX_CORE_IMG: '/tmp/chatlab-core.img',
      },
    });
  } finally {
    await killProcessesRootedIn(mnt, log);
  }
}

async function installGrub(w: Work): Promise<void> {
  const { mnt, raw } = w;
  const core = path.join(mnt, 'tmp/chatlab-core.img');
  const coreSize = (await stat(core)).size;
  if (coreSize > (PARTITION_START_SECTOR - 1) * SECTOR) throw new LabError(`core.img (${coreSize} bytes) does not fit before the partition`);
  // 440 bytes: boot code only, the partition table after it stays.
  await run(['dd', `if=${path.join(mnt, 'usr/lib/grub/i386-pc/boot.img')}`, `of=${raw}`, 'bs=440', 'count=1', 'conv=notrunc', 'status=none'], { timeoutMs: MIN });
  // boot.img loads sector 1 by default; grub-mkimage already filled core.img's own length.
  await run(['dd', `if=${core}`, `of=${raw}`, `bs=${SECTOR}`, 'seek=1', 'conv=notrunc', 'status=none'], { timeoutMs: MIN });
  await rm(path.join(mnt, 'tmp'), { recursive: true, force: true });
  await mkdir(path.join(mnt, 'tmp'), { mode: 0o1777 });
  await chmod(path.join(mnt, 'tmp'), 0o1777);
}

async function trimAndUnmount(w: Work): Promise<void> {
  // Unmount everything but the root first, so the trim sees the final file system.
  while (w.undo.length > 2) await w.undo.pop()!();
  await run(['fstrim', w.mnt], { timeoutMs: 5 * MIN });
  while (w.undo.length > 0) await w.undo.pop()!();
}

async function convertAndPack(w: Work, o: ImageOptions): Promise<void> {
  const img = path.join(w.dir, 'box.img');
  // Compressed clusters: vagrant-libvirt streams the whole image into libvirt on every first
  // `up`, and QEMU decompresses on the host side, outside the emulated CPU.
  await run(['qemu-img', 'convert', '-c', '-O', 'qcow2', w.raw, img], { timeoutMs: 15 * MIN });
  await rm(w.raw);
  await writeFile(path.join(w.dir, 'metadata.json'), metadataJson(DISK_GIB));
  await writeFile(path.join(w.dir, 'Vagrantfile'), boxVagrantfile());
  // Travels into Vagrant's box store, so `chatlab box add` can tell a stale added box.
  await writeFile(path.join(w.dir, 'chatlab-box.json'), `${JSON.stringify({ hash: o.hash })}\n`);
  const members = ['metadata.json', 'Vagrantfile', 'chatlab-box.json', 'box.img'];
  await run(['tar', '-C', w.dir, '-cf', path.join(w.dir, path.basename(o.boxFile)), ...members], { timeoutMs: 10 * MIN });
  for (const m of members) await rm(path.join(w.dir, m));
  await rmdir(w.mnt);
  await writeFile(path.join(w.dir, 'inputs.json'), `${JSON.stringify({ hash: o.hash, ...o.inputs }, null, 2)}\n`);
  await rm(o.finalDir, { recursive: true, force: true });
  await rename(w.dir, o.finalDir);
}

/** Undoes what the build set up; after a failure, shows the log's tail and removes the work
 *  directory, unless something is still mounted there (removing it then could reach the host's /dev). */
async function cleanUp(w: Work, ok: boolean, log: (m: string) => void): Promise<void> {
  const errors: unknown[] = [];
  while (w.undo.length > 0) {
    await w.undo.pop()!().catch((e: unknown) => errors.push(e));
  }
  if (!ok) {
    const tail = await readFile(w.logFile, 'utf8').then((t) => t.split('\n').slice(-40).join('\n'), () => '');
    log(`box build failed; last lines of ${w.logFile}:\n${tail}`);
    if (errors.length === 0) {
      await unmountAllUnder(w.dir).catch(() => undefined);
      if (mountsUnder(await readFile('/proc/self/mountinfo', 'utf8'), w.dir).length === 0) {
        await rm(w.dir, { recursive: true, force: true });
      }
    }
  }
  for (const e of errors) log(`cleanup error: ${e instanceof Error ? e.message : String(e)}`);
}

export async function buildImage(o: ImageOptions): Promise<void> {
  const { log } = o;
  const w: Work = {
    dir: o.workDir,
    raw: path.join(o.workDir, 'disk.raw'),
    mnt: path.join(o.workDir, 'root'),
    logFile: path.join(o.workDir, 'build.log'),
    debCache: path.join(o.cacheDir, 'debs'),
    aptCache: path.join(o.cacheDir, 'apt-archives'),
    undo: [],
  };
  await mkdir(w.mnt, { recursive: true });
  await mkdir(w.debCache, { recursive: true });
  await mkdir(path.join(w.aptCache, 'partial'), { recursive: true });
  const step = <T>(name: string, fn: () => Promise<T>) => timed(o.timings, name, log, fn);
  const rootUuid = randomUUID();
  let ok = false;
  try {
    const sources = await hostGuestSources();
    await step('partition and format', () => partitionAndFormat(w, rootUuid));
    await step('debootstrap (minbase)', () =>
      run(['debootstrap', '--variant=minbase', `--cache-dir=${w.debCache}`, SUITE, w.mnt, sources.mirror], {
        timeoutMs: 20 * MIN,
        output: { logFile: w.logFile },
      }),
    );
    await step('install and configure packages', () => configurePackages(w, sources, rootUuid, log));
    await step('install GRUB (boot.img + core.img)', () => installGrub(w));
    await step('fstrim and unmount', () => trimAndUnmount(w));
    await step('convert to qcow2 and pack', () => convertAndPack(w, o));
    ok = true;
    log(`box ${o.hash} built: ${o.boxFile} (${Math.round((await stat(o.boxFile)).size / 1024 ** 2)} MiB)`);
  } finally {
    await cleanUp(w, ok, log);
  }
}

/** A package script may leave a daemon running inside the chroot despite policy-rc.d; it would
 *  hold the file system busy. Found by its root directory, ended by PID. */
async function killProcessesRootedIn(root: string, log: (m: string) => void): Promise<void> {
  const rooted = async () => {
    const pids: number[] = [];
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const r = await readlink(`/proc/${entry}/root`).catch(() => undefined);
      if (r === root || r?.startsWith(`${root}/`)) pids.push(Number(entry));
    }
    return pids;
  };
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    const pids = await rooted();
    if (pids.length === 0) return;
    log(`stopping processes left inside the image (${signal}): ${pids.join(' ')}`);
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
    await new Promise((r) => setTimeout(r, 3_000));
  }
}

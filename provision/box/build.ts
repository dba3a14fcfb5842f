// Builds the box: debootstrap into a partitioned raw disk image, configure it in a chroot, write
// GRUB by hand, shrink, convert to qcow2 and pack. Needs root. Every step that mounts or attaches
// something registers its undo first, so a failure at any point leaves nothing mounted.
import { randomUUID } from 'node:crypto';
import { chmod, copyFile, mkdir, readdir, readFile, readlink, rename, rm, rmdir, stat, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { projectRoot } from '../paths.ts';
import { EX, LabError } from '../errors.ts';
import { guestSources, parseAptSources, type GuestSources } from './apt-sources.ts';
import { run } from '../run.ts';
import { timed, type Timing } from './timing.ts';
import { boxVagrantfile, metadataJson } from './metadata.ts';
import { mountsUnder } from './mounts.ts';
import {
  BOX_NAME,
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
  boxInputs,
  cacheDecision,
  type BoxInputs,
  inputsHash,
} from './spec.ts';

export const GUEST_SCRIPT = path.join(projectRoot, 'provision', 'box', 'guest-setup.sh');

const MIN = 60_000;
const SECTOR = 512;

export interface BoxPaths {
  dir: string;
  boxFile: string;
  stamp: string;
}

export function boxPaths(cacheDir: string, hash: string): BoxPaths {
  const dir = path.join(cacheDir, hash);
  return { dir, boxFile: path.join(dir, `${BOX_NAME}.box`), stamp: path.join(dir, 'inputs.json') };
}

export async function currentInputs(): Promise<{ hash: string; inputs: BoxInputs }> {
  const inputs = boxInputs(await readFile(GUEST_SCRIPT, 'utf8'));
  return { hash: inputsHash(inputs), inputs };
}

export interface EnsureOptions {
  cacheDir: string;
  force: boolean;
  log: (m: string) => void;
  timings: Timing[];
}

export interface BoxResult {
  boxFile: string;
  hash: string;
  built: boolean;
}

/** Returns the cached box when its inputs are unchanged, builds it otherwise. */
export async function ensureBox(o: EnsureOptions): Promise<BoxResult> {
  const { hash, inputs } = await currentInputs();
  const paths = boxPaths(o.cacheDir, hash);
  const recordedHash = await readFile(paths.stamp, 'utf8')
    .then((t) => (JSON.parse(t) as { hash?: string }).hash)
    .catch(() => undefined);
  const boxFileExists = await stat(paths.boxFile).then((s) => s.isFile(), () => false);
  const decision = cacheDecision(hash, { recordedHash, boxFileExists }, o.force);
  if (decision.action === 'reuse') {
    o.log(`box ${hash} is cached: ${paths.boxFile}`);
    return { boxFile: paths.boxFile, hash, built: false };
  }
  o.log(`building box ${hash}: ${decision.reason}`);
  await mkdir(o.cacheDir, { recursive: true });
  const release = await takeLock(path.join(o.cacheDir, 'build.lock'));
  try {
    await removeStaleWork(o.cacheDir, o.log);
    await build(hash, inputs, paths, o);
    await pruneOtherBoxes(o.cacheDir, hash, o.log);
  } finally {
    await release();
  }
  return { boxFile: paths.boxFile, hash, built: true };
}

async function takeLock(lockPath: string): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(lockPath, String(process.pid), { flag: 'wx' });
      return () => rm(lockPath, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = Number(await readFile(lockPath, 'utf8').catch(() => ''));
      if (holder > 0 && isAlive(holder)) throw new LabError(`another box build (pid ${holder}) holds ${lockPath}`, EX.tempFail);
      await rm(lockPath, { force: true });
    }
  }
  throw new LabError(`could not take ${lockPath}`, EX.tempFail);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const WORK_PREFIX = 'work-';

/** Undoes what a build that was cut off left behind: mounts, loop devices, its work directory. */
async function removeStaleWork(cacheDir: string, log: (m: string) => void): Promise<void> {
  for (const name of await readdir(cacheDir)) {
    if (!name.startsWith(WORK_PREFIX)) continue;
    const dir = path.join(cacheDir, name);
    log(`removing the remains of an interrupted build: ${dir}`);
    await unmountAllUnder(dir);
    await detachLoopsBackedBy(path.join(dir, 'disk.raw'));
    await rm(dir, { recursive: true, force: true });
  }
}

async function unmountAllUnder(dir: string): Promise<void> {
  // Bounded: each round removes one mount or fails.
  for (let round = 0; round < 64; round++) {
    const [deepest] = mountsUnder(await readFile('/proc/self/mountinfo', 'utf8'), dir);
    if (!deepest) return;
    await run(['umount', deepest], { timeoutMs: MIN });
  }
  throw new LabError(`mounts under ${dir} would not go away`, EX.osErr);
}

async function detachLoopsBackedBy(file: string): Promise<void> {
  const { stdout } = await run(['losetup', '--noheadings', '--output', 'NAME', '--associated', file], { timeoutMs: MIN, check: false });
  for (const dev of stdout.split('\n').map((l) => l.trim()).filter(Boolean)) {
    await run(['losetup', '--detach', dev], { timeoutMs: MIN });
  }
}

async function pruneOtherBoxes(cacheDir: string, keep: string, log: (m: string) => void): Promise<void> {
  for (const name of await readdir(cacheDir)) {
    if (name === keep || !/^[0-9a-f]{16}$/.test(name)) continue;
    log(`removing outdated box ${name}`);
    await rm(path.join(cacheDir, name), { recursive: true, force: true });
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

async function build(hash: string, inputs: BoxInputs, final: BoxPaths, o: EnsureOptions): Promise<void> {
  const { log, timings } = o;
  const work = path.join(o.cacheDir, `${WORK_PREFIX}${hash}-${process.pid}`);
  const raw = path.join(work, 'disk.raw');
  const mnt = path.join(work, 'root');
  const logFile = path.join(work, 'build.log');
  const debCache = path.join(o.cacheDir, 'debs');
  const aptCache = path.join(o.cacheDir, 'apt-archives');
  await mkdir(mnt, { recursive: true });
  await mkdir(debCache, { recursive: true });
  await mkdir(path.join(aptCache, 'partial'), { recursive: true });
  const undo: (() => Promise<unknown>)[] = [];
  const step = <T>(name: string, fn: () => Promise<T>) => timed(timings, name, log, fn);
  const mount = async (args: string[], target: string) => {
    await mkdir(target, { recursive: true });
    await run(['mount', ...args, target], { timeoutMs: MIN });
    undo.push(() => run(['umount', target], { timeoutMs: MIN }));
  };
  const rootUuid = randomUUID();
  const diskBytes = DISK_GIB * 1024 ** 3;
  const partOffset = PARTITION_START_SECTOR * SECTOR;

  let ok = false;
  try {
    const sources = await hostGuestSources();

    await step('partition and format', async () => {
      await writeFile(raw, '');
      await truncate(raw, diskBytes);
      await run(['sfdisk', '--quiet', raw], {
        timeoutMs: MIN,
        input: `label: dos\nstart=${PARTITION_START_SECTOR}, type=83, bootable\n`,
      });
      // No partition scanning or device-mapper on this kind of kernel: a loop device that starts
      // at the partition's offset stands in for /dev/loopNp1.
      const { stdout } = await run(
        ['losetup', '--find', '--show', '--offset', String(partOffset), '--sizelimit', String(diskBytes - partOffset), raw],
        { timeoutMs: MIN },
      );
      const loop = stdout.trim();
      undo.push(() => run(['losetup', '--detach', loop], { timeoutMs: MIN }));
      // GRUB 2.06 cannot read metadata_csum_seed; eager init keeps emulated guests from spending
      // their first minutes zeroing inode tables (the zeroes cost nothing in the qcow2).
      await run(
        ['mkfs.ext4', '-q', '-F', '-L', ROOT_LABEL, '-U', rootUuid, '-O', '^metadata_csum_seed', '-E', 'lazy_itable_init=0,lazy_journal_init=0', loop],
        { timeoutMs: 5 * MIN },
      );
      await mount([loop], mnt);
    });

    await step('debootstrap (minbase)', () =>
      run(['debootstrap', '--variant=minbase', `--cache-dir=${debCache}`, SUITE, mnt, sources.mirror], {
        timeoutMs: 20 * MIN,
        output: { logFile },
      }),
    );

    await step('install and configure packages', async () => {
      await writeFile(path.join(mnt, 'etc/apt/sources.list.d/debian.sources'), sources.deb822);
      await rm(path.join(mnt, 'etc/apt/sources.list'), { force: true });
      // Package scripts ask policy-rc.d before starting a service; 101 means "not now".
      const policy = path.join(mnt, 'usr/sbin/policy-rc.d');
      await writeFile(policy, '#!/bin/sh\nexit 101\n');
      await chmod(policy, 0o755);
      undo.push(() => rm(policy, { force: true }));
      await mount(['-t', 'proc', 'proc'], path.join(mnt, 'proc'));
      await mount(['-t', 'sysfs', 'sysfs'], path.join(mnt, 'sys'));
      await mount(['--bind', '/dev'], path.join(mnt, 'dev'));
      await mount(['--bind', '/dev/pts'], path.join(mnt, 'dev/pts'));
      await mount(['--bind', aptCache], path.join(mnt, 'var/cache/apt/archives'));
      const script = '/tmp/chatlab-guest-setup.sh';
      await copyFile(GUEST_SCRIPT, path.join(mnt, script));
      try {
        await run(['chroot', mnt, '/bin/sh', script], {
          timeoutMs: 40 * MIN,
          output: { logFile },
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
    });

    await step('install GRUB (boot.img + core.img)', async () => {
      const core = path.join(mnt, 'tmp/chatlab-core.img');
      const coreSize = (await stat(core)).size;
      if (coreSize > (PARTITION_START_SECTOR - 1) * SECTOR) throw new Error(`core.img (${coreSize} bytes) does not fit before the partition`);
      // 440 bytes: boot code only, the partition table after it stays.
      await run(['dd', `if=${path.join(mnt, 'usr/lib/grub/i386-pc/boot.img')}`, `of=${raw}`, 'bs=440', 'count=1', 'conv=notrunc', 'status=none'], { timeoutMs: MIN });
      // boot.img loads sector 1 by default; grub-mkimage already filled core.img's own length.
      await run(['dd', `if=${core}`, `of=${raw}`, `bs=${SECTOR}`, 'seek=1', 'conv=notrunc', 'status=none'], { timeoutMs: MIN });
      await rm(path.join(mnt, 'tmp'), { recursive: true, force: true });
      await mkdir(path.join(mnt, 'tmp'), { mode: 0o1777 });
      await chmod(path.join(mnt, 'tmp'), 0o1777);
    });

    await step('fstrim and unmount', async () => {
      // Unmount everything but the root first, so the trim sees the final file system.
      while (undo.length > 2) await undo.pop()!();
      await run(['fstrim', mnt], { timeoutMs: 5 * MIN });
      while (undo.length > 0) await undo.pop()!();
    });

    await step('convert to qcow2 and pack', async () => {
      const img = path.join(work, 'box.img');
      // Compressed clusters: vagrant-libvirt streams the whole image into libvirt on every first
      // `up`, and QEMU decompresses on the host side, outside the emulated CPU.
      await run(['qemu-img', 'convert', '-c', '-O', 'qcow2', raw, img], { timeoutMs: 15 * MIN });
      await rm(raw);
      await writeFile(path.join(work, 'metadata.json'), metadataJson(DISK_GIB));
      await writeFile(path.join(work, 'Vagrantfile'), boxVagrantfile());
      // Travels into Vagrant's box store, so `chatlab box add` can tell a stale added box.
      await writeFile(path.join(work, 'chatlab-box.json'), `${JSON.stringify({ hash })}\n`);
      const members = ['metadata.json', 'Vagrantfile', 'chatlab-box.json', 'box.img'];
      await run(['tar', '-C', work, '-cf', path.join(work, path.basename(final.boxFile)), ...members], {
        timeoutMs: 10 * MIN,
      });
      for (const m of members) await rm(path.join(work, m));
      await rmdir(mnt);
      await writeFile(path.join(work, 'inputs.json'), `${JSON.stringify({ hash, ...inputs }, null, 2)}\n`);
      await rm(final.dir, { recursive: true, force: true });
      await rename(work, final.dir);
    });
    ok = true;
    log(`box ${hash} built: ${final.boxFile} (${Math.round((await stat(final.boxFile)).size / 1024 ** 2)} MiB)`);
  } finally {
    const errors: unknown[] = [];
    while (undo.length > 0) {
      await undo.pop()!().catch((e: unknown) => errors.push(e));
    }
    if (!ok) {
      const tail = await readFile(logFile, 'utf8').then((t) => t.split('\n').slice(-40).join('\n'), () => '');
      log(`box build failed; last lines of ${logFile}:\n${tail}`);
      if (errors.length === 0) {
        await unmountAllUnder(work).catch(() => undefined);
        // Kept only if something is still mounted: removing it then could reach the host's /dev.
        if (mountsUnder(await readFile('/proc/self/mountinfo', 'utf8'), work).length === 0) {
          await rm(work, { recursive: true, force: true });
        }
      }
    }
    for (const e of errors) log(`cleanup error: ${e instanceof Error ? e.message : String(e)}`);
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

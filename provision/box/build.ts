// The box cache: a box is reused while its inputs (the guest script, the package lists, the
// builder's version) hash the same, built (image.ts) when they do not. One build at a time, under
// a lock; what an interrupted build left behind is undone before the next one starts.
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EX, LabError } from '../errors.ts';
import type { Timing } from './timing.ts';
import { buildImage, detachLoopsBackedBy, GUEST_SCRIPT, unmountAllUnder } from './image.ts';
import { BOX_NAME, boxInputs, cacheDecision, type BoxInputs, inputsHash } from './spec.ts';

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
    const workDir = path.join(o.cacheDir, `${WORK_PREFIX}${hash}-${process.pid}`);
    await buildImage({ hash, inputs, workDir, finalDir: paths.dir, boxFile: paths.boxFile, cacheDir: o.cacheDir, log: o.log, timings: o.timings });
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

async function pruneOtherBoxes(cacheDir: string, keep: string, log: (m: string) => void): Promise<void> {
  for (const name of await readdir(cacheDir)) {
    if (name === keep || !/^[0-9a-f]{16}$/.test(name)) continue;
    log(`removing outdated box ${name}`);
    await rm(path.join(cacheDir, name), { recursive: true, force: true });
  }
}

// `chatlab box`: build (or reuse) the libvirt box, add it to Vagrant, and run libvirt on a machine
// without systemd. Returns an exit code; the caller owns the process.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { DEFAULT_CACHE_DIR, currentInputs, ensureBox } from './build.ts';
import { run } from '../run.ts';
import type { Timing } from './timing.ts';
import { DEFAULT_STATE_DIR, hostDown, hostUp } from './host.ts';
import { BOX_NAME } from './spec.ts';
import { LabError } from '../errors.ts';
import { requireCommands } from '../preflight.ts';

const USAGE = `usage: chatlab box [build] [--force] [--cache-dir DIR]   build the box or reuse the cached one; prints its path
       chatlab box add [--force] [--cache-dir DIR]       the same, then add it to Vagrant as '${BOX_NAME}'
       chatlab box hash                                  print the hash of the box's inputs
       chatlab box host up|down [--state-dir DIR]        start libvirtd/virtlogd and the lab's isolated networks / remove all of it
Needs root. Cache: ${DEFAULT_CACHE_DIR} (or CHATLAB_BOX_CACHE). State: ${DEFAULT_STATE_DIR} (or CHATLAB_BOX_STATE).`;

/** Vagrant never phones home for version checks from here. */
export const VAGRANT_ENV = { VAGRANT_CHECKPOINT_DISABLE: '1', VAGRANT_DEFAULT_PROVIDER: 'libvirt' };

interface Args {
  words: string[];
  force: boolean;
  cacheDir: string;
  stateDir: string;
}

function parse(argv: string[], env: NodeJS.ProcessEnv): Args | string {
  const a: Args = {
    words: [],
    force: false,
    cacheDir: env.CHATLAB_BOX_CACHE ?? DEFAULT_CACHE_DIR,
    stateDir: env.CHATLAB_BOX_STATE ?? DEFAULT_STATE_DIR,
  };
  for (let i = 0; i < argv.length; i++) {
    const w = argv[i]!;
    if (w === '--force') a.force = true;
    else if (w === '--cache-dir' || w === '--state-dir') {
      const v = argv[++i];
      if (!v) return `${w} needs a directory`;
      if (w === '--cache-dir') a.cacheDir = path.resolve(v);
      else a.stateDir = path.resolve(v);
    } else if (w.startsWith('-')) return `unknown option ${w}`;
    else a.words.push(w);
  }
  return a;
}

const log = (m: string) => process.stderr.write(`chatlab box: ${m}\n`);

function printTimings(timings: Timing[]): void {
  for (const t of timings) log(`  ${t.step.padEnd(44)} ${t.seconds.toFixed(1).padStart(7)} s`);
}

/** The hash the box in Vagrant's store was built from, read from the file the box carries. */
async function addedHash(): Promise<string | undefined> {
  const home = process.env.VAGRANT_HOME ?? path.join(homedir(), '.vagrant.d');
  const file = path.join(home, 'boxes', BOX_NAME, '0', 'libvirt', 'chatlab-box.json');
  return readFile(file, 'utf8')
    .then((t) => (JSON.parse(t) as { hash?: string }).hash)
    .catch(() => undefined);
}

export async function runBox(argv: string[]): Promise<number> {
  const a = parse(argv, process.env);
  if (typeof a === 'string') {
    log(a);
    process.stderr.write(`${USAGE}\n`);
    return 64;
  }
  const [cmd = 'build', sub] = a.words;
  if (cmd === 'help' || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  try {
    if (cmd === 'hash') {
      process.stdout.write(`${(await currentInputs()).hash}\n`);
      return 0;
    }
    if (cmd === 'build' || cmd === 'add') {
      if (process.getuid?.() !== 0) throw new Error('building the box needs root (loop devices, mounts, chroot)');
      requireCommands(['box']);
      if (process.env[PRIVATE_MOUNTS] !== '1') return await inPrivateMountNamespace();
      const timings: Timing[] = [];
      const box = await ensureBox({ cacheDir: a.cacheDir, force: a.force, log, timings });
      if (cmd === 'add') {
        if (!box.built && (await addedHash()) === box.hash) {
          log(`Vagrant already has box ${BOX_NAME} ${box.hash}`);
        } else {
          const t0 = performance.now();
          await run(['vagrant', 'box', 'add', '--force', '--name', BOX_NAME, box.boxFile], { timeoutMs: 10 * 60_000, env: VAGRANT_ENV });
          timings.push({ step: 'vagrant box add', seconds: Math.round((performance.now() - t0) / 100) / 10 });
        }
      }
      printTimings(timings);
      process.stdout.write(`${box.boxFile}\n`);
      return 0;
    }
    if (cmd === 'host' && (sub === 'up' || sub === 'down')) {
      if (process.getuid?.() !== 0) throw new Error('running libvirtd for qemu:///system needs root');
      if (sub === 'up') requireCommands(['box']);
      if (sub === 'up') await hostUp(a.stateDir, log);
      else await hostDown(a.stateDir, log);
      return 0;
    }
    log(`unknown command: ${a.words.join(' ')}`);
    process.stderr.write(`${USAGE}\n`);
    return 64;
  } catch (e) {
    log(e instanceof Error ? e.message : String(e));
    return e instanceof LabError ? e.exitCode : 1;
  }
}

const PRIVATE_MOUNTS = 'CHATLAB_BOX_PRIVATE_MOUNTS';

/** Runs this same command again in a mount namespace of its own. Without it, a program someone
 *  starts in a new namespace meanwhile (`ip netns exec`: this machine's / is not shared) copies
 *  the image's mounts and keeps the loop device busy after the build; and a build that is cut off
 *  would leave its mounts behind. */
async function inPrivateMountNamespace(): Promise<number> {
  const r = await run(
    ['unshare', '--mount', '--propagation', 'private', '--', process.execPath, ...process.execArgv, ...process.argv.slice(1)],
    { timeoutMs: 90 * 60_000, env: { [PRIVATE_MOUNTS]: '1' }, output: 'inherit', check: false },
  );
  return r.exitCode;
}

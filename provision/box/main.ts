// `chatlab box ...`: build (or reuse) the libvirt box, add it to Vagrant, and run libvirt on a
// machine without systemd. Its arguments are parsed by chatlab (commands.ts); these return the
// exit status.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { currentInputs, ensureBox } from './build.ts';
import { run } from '../run.ts';
import type { Timing } from './timing.ts';
import { hostDown, hostUp } from './host.ts';
import { BOX_NAME, DEFAULT_CACHE_DIR, DEFAULT_STATE_DIR } from './spec.ts';
import type { Args } from '../args.ts';
import { EX, type ExitStatus } from '../errors.ts';
import { requireCommands } from '../preflight.ts';

/** Vagrant never phones home for version checks from here. */
export const VAGRANT_ENV = { VAGRANT_CHECKPOINT_DISABLE: '1', VAGRANT_DEFAULT_PROVIDER: 'libvirt' };

const log = (m: string) => process.stderr.write(`chatlab box: ${m}\n`);

const dir = (args: Args, option: string, variable: string, fallback: string) =>
  path.resolve(args.values.get(option) ?? process.env[variable] ?? fallback);

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

export async function boxHash(): Promise<ExitStatus> {
  process.stdout.write(`${(await currentInputs()).hash}\n`);
  return EX.ok;
}

/** `box build` and `box add`: the path of the box on stdout. */
export async function boxBuild(args: Args, add: boolean): Promise<number> {
  requireCommands(['box']);
  if (process.env[PRIVATE_MOUNTS] !== '1') return inPrivateMountNamespace();
  const timings: Timing[] = [];
  const cacheDir = dir(args, 'cache-dir', 'CHATLAB_BOX_CACHE', DEFAULT_CACHE_DIR);
  const box = await ensureBox({ cacheDir, force: args.values.has('force'), log, timings });
  if (add) {
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
  return EX.ok;
}

/** `box host up` and `box host down`. */
export async function boxHost(args: Args, up: boolean): Promise<ExitStatus> {
  const stateDir = dir(args, 'state-dir', 'CHATLAB_BOX_STATE', DEFAULT_STATE_DIR);
  if (up) {
    requireCommands(['box']);
    await hostUp(stateDir, log);
  } else {
    await hostDown(stateDir, log);
  }
  return EX.ok;
}

const PRIVATE_MOUNTS = 'CHATLAB_BOX_PRIVATE_MOUNTS';

/** Runs this same command again in a mount namespace of its own, and exits with its status.
 *  Without it, a program someone starts in a new namespace meanwhile (`ip netns exec`: this
 *  machine's / is not shared) copies the image's mounts and keeps the loop device busy after the
 *  build; and a build that is cut off would leave its mounts behind. */
async function inPrivateMountNamespace(): Promise<number> {
  const r = await run(
    ['unshare', '--mount', '--propagation', 'private', '--', process.execPath, ...process.execArgv, ...process.argv.slice(1)],
    { timeoutMs: 90 * 60_000, env: { [PRIVATE_MOUNTS]: '1' }, output: 'inherit', check: false },
  );
  return r.exitCode;
}

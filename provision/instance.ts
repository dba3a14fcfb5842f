// Which lab a command means. The default lab is provision/lab.ts, run from the committed assets.
// A named lab (`chatlab --lab NAME up --nodes 3 --subnet 192.168.72.0/21`) is the same model with
// a few overrides, kept in its own state directory with its own generated assets, so labs of
// other sizes (benchmarks, scaling) run beside the default one without editing committed files.
// Only the overrides are kept: the rest always comes from the current model.
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { lab as defaultSpec } from './lab.ts';
import type { EjabberdStorage, Lab, LabSpec } from './model.ts';
import { defineLab } from './validate.ts';
import { generateAll } from './generate/index.ts';
import { writeFiles } from './write.ts';
import { projectRoot, stateDir } from './paths.ts';
import { EX, LabError } from './errors.ts';

export interface Overrides {
  nodes?: number;
  subnet?: string;
  storage?: EjabberdStorage;
}

/** What a named lab keeps of its spec (older state directories hold a whole spec: the same keys). */
type Kept = Partial<Pick<LabSpec, 'ejabberdNodes' | 'subnet' | 'storage'>>;

export interface Instance {
  lab: Lab;
  /** Where the generated assets this lab runs from live. */
  assetsRoot: string;
  state: string;
}

const specFile = (state: string) => path.join(state, 'lab.json');

export async function resolveInstance(name: string | undefined, overrides: Overrides, env = process.env): Promise<Instance> {
  const hasOverrides = overrides.nodes !== undefined || overrides.subnet !== undefined || overrides.storage !== undefined;
  if (name === undefined) {
    if (hasOverrides) throw new LabError('--nodes, --subnet and --storage make a lab of their own: name it with --lab NAME', EX.usage);
    return { lab: defineLab(defaultSpec), assetsRoot: projectRoot, state: stateDir(env) };
  }
  if (name === defaultSpec.name) throw new LabError(`--lab ${name} is the default lab's name: choose another`, EX.usage);
  const state = path.resolve(env.CHATLAB_STATE ?? path.join(stateDir({}), 'labs', name));
  const stored = await readFile(specFile(state), 'utf8').then((t) => JSON.parse(t) as Kept, () => undefined);
  if (!stored && overrides.subnet === undefined) {
    throw new LabError(`lab ${name} does not exist yet: create it with \`chatlab --lab ${name} up --subnet CIDR\` (a subnet no other network here uses)`, EX.usage);
  }
  const kept: Kept = {
    ejabberdNodes: overrides.nodes ?? stored?.ejabberdNodes ?? defaultSpec.ejabberdNodes,
    subnet: overrides.subnet ?? stored?.subnet,
    storage: overrides.storage ?? stored?.storage ?? defaultSpec.storage,
  };
  const spec: LabSpec = { ...structuredClone(defaultSpec), ...kept, name };
  const lab = defineLab(spec);
  return { lab, assetsRoot: path.join(state, 'assets'), state };
}

/**
 * Writes a named lab's spec and assets (and the shell library its scripts source) into its state
 * directory. The default lab runs from the committed tree and is only checked, never written.
 */
export async function materialize(instance: Instance): Promise<void> {
  if (instance.assetsRoot === projectRoot) return;
  await mkdir(instance.state, { recursive: true, mode: 0o700 });
  const { ejabberdNodes, subnet, storage } = instance.lab.spec;
  await writeFile(specFile(instance.state), `${JSON.stringify({ ejabberdNodes, subnet, storage } satisfies Kept, null, 2)}\n`);
  await writeFiles(instance.assetsRoot, generateAll(instance.lab));
  await cp(path.join(projectRoot, 'provision', 'shell'), path.join(instance.assetsRoot, 'provision', 'shell'), { recursive: true });
}

// Every generated file of a lab, in one sorted list: the writer's and the checker's only input.
import type { Lab } from '../model.ts';
import type { GeneratedFile } from './file.ts';
import { generateDb } from './db.ts';
import { generateDns } from './dns.ts';
import { generateEjabberd } from './ejabberd.ts';
import { generateHaproxy } from './haproxy.ts';
import { generateNames } from './names.ts';
import { generateProsody } from './prosody.ts';
import { generateVagrantfile } from './vagrantfile.ts';

/** Directories that hold nothing but generated files: anything else found there is stale. */
export const GENERATED_DIRS = ['lab', 'prosody', 'ejabberd', 'haproxy', 'db'];

export function generateAll(lab: Lab): GeneratedFile[] {
  const files = [
    ...generateNames(lab),
    ...generateDns(lab),
    ...generateHaproxy(lab),
    ...generateProsody(lab),
    ...generateDb(lab),
    ...generateEjabberd(lab),
    ...generateVagrantfile(lab),
  ];
  const seen = new Set<string>();
  for (const f of files) {
    if (seen.has(f.path)) throw new Error(`two generators write ${f.path}`);
    seen.add(f.path);
  }
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

// The only place that writes generated assets: `chatlab generate` and `chatlab generate --check`.
import { chmod, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { GeneratedFile } from './generate/file.ts';
import { GENERATED_DIRS } from './generate/index.ts';

export type Drift = { path: string; problem: 'missing' | 'differs' | 'mode' | 'not generated' };

async function listFiles(root: string, dir: string): Promise<string[]> {
  const entries = await readdir(path.join(root, dir), { withFileTypes: true }).catch(() => []);
  const nested = await Promise.all(
    entries.map((e) => (e.isDirectory() ? listFiles(root, path.join(dir, e.name)) : Promise.resolve([path.join(dir, e.name)]))),
  );
  return nested.flat();
}

/** What differs between the tree at root and the generated files, without changing anything. */
export async function findDrift(root: string, files: GeneratedFile[]): Promise<Drift[]> {
  const drift: Drift[] = [];
  for (const file of files) {
    const full = path.join(root, file.path);
    const content = await readFile(full, 'utf8').catch(() => undefined);
    if (content === undefined) drift.push({ path: file.path, problem: 'missing' });
    else if (content !== file.content) drift.push({ path: file.path, problem: 'differs' });
    else if (((await stat(full)).mode & 0o111) !== (file.mode & 0o111)) drift.push({ path: file.path, problem: 'mode' });
  }
  const expected = new Set(files.map((f) => f.path));
  for (const dir of GENERATED_DIRS) {
    for (const found of await listFiles(root, dir)) {
      if (!expected.has(found)) drift.push({ path: found, problem: 'not generated' });
    }
  }
  return drift;
}

/**
 * Writes only what differs, so unchanged files keep their timestamps, and removes files the model
 * no longer generates (a node dropped from the cluster). Returns what it changed.
 */
export async function writeFiles(root: string, files: GeneratedFile[]): Promise<Drift[]> {
  const drift = await findDrift(root, files);
  const byPath = new Map(files.map((f) => [f.path, f]));
  for (const d of drift) {
    const full = path.join(root, d.path);
    const file = byPath.get(d.path);
    if (!file) {
      await rm(full);
      continue;
    }
    await mkdir(path.dirname(full), { recursive: true });
    await writeFile(full, file.content);
    await chmod(full, file.mode);
  }
  return drift;
}

// The worker's child processes: started with a clean environment, every wait on them bounded, their
// output counted and their memory read from /proc; whatever is still running at the end is killed.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Common } from './job.ts';
import { sleep } from './job.ts';
import { procStatusKb } from './stats.ts';

// Spawned tools must not inherit tsx's loader hooks.
const childEnv = (job: Common) => ({ ...process.env, NODE_OPTIONS: '', SSL_CERT_FILE: job.caFile });

const live = new Set<ChildProcess>();

export function start(command: string, args: string[], job: Common, stdin?: string): ChildProcess {
  const child = spawn(command, args, { env: childEnv(job), stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (stdin !== undefined) child.stdin!.end(stdin);
  return child;
}

export function killAll(): void {
  for (const child of live) child.kill('SIGKILL');
}

/** Waits for exit, bounded: a hung client is killed and reported, never waited on forever. */
export async function finish(child: ChildProcess, limitMs: number, what: string): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${what} exited ${code ?? 'on a signal (time limit?)'}: ${stderr.trim().slice(-500)}`);
  return { code, stderr };
}

/** Counts the lines of a child's stdout that contain `marker`, calling `onLine` for each. */
export function countLines(child: ChildProcess, marker: string, onLine: (line: string) => void = () => {}): { count: () => number; first: () => number; last: () => number } {
  let count = 0;
  let first = 0;
  let last = 0;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (!line.includes(marker)) return;
    count += 1;
    last = performance.now();
    if (count === 1) first = last;
    onLine(line);
  });
  return { count: () => count, first: () => first, last: () => last };
}

/** The larger of `known` and the child's current RSS figure; the child may have just exited. */
export function peak(child: ChildProcess, known: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const kb = procStatusKb(readFileSync(`/proc/${child.pid}/status`, 'utf8'), field);
    return Number.isFinite(known) ? Math.max(known, kb) : kb;
  } catch {
    return known;
  }
}

export async function waitUntil(condition: () => boolean, limitMs: number): Promise<boolean> {
  const deadline = performance.now() + limitMs;
  while (!condition() && performance.now() < deadline) await sleep(50);
  return condition();
}

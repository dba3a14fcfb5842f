// The proof suite's counting, apart from any lab: loop counts and seeds from the environment, what
// rsxcc printed, what arrived against what was sent, and many runs at once within a deadline.
import type { ReceivedMessage } from '../../cli/output.ts';

/** A loop count from the environment (nightly raises it), else the CI default. */
export function envCount(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name}=${text}: expected a whole number`);
  return n;
}

/** Reproducible "random" points: mulberry32 seeded from PROOF_SEED (printed by the tests that use it). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One JSON line of `rsxcc -o json`: exactly what cli/output.ts writes. */
export type Received = ReceivedMessage;

/** rsxcc's `-o json` output: one object a line. A torn last line (a killed process) is dropped. */
export function parseJsonLines(stdout: string): Received[] {
  const out: Received[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as Received);
    } catch {
      // Only a kill -9 in the middle of a write can leave a partial line; it is not "printed".
    }
  }
  return out;
}

export interface Tally {
  expected: number;
  delivered: number;
  lost: string[];
  duplicates: number;
  /** Bodies seen that were not expected (another test's message: a sign of shared accounts). */
  unexpected: number;
}

/** Compares the bodies that must have arrived with every body printed (each printed occurrence counts). */
export function tally(expected: Iterable<string>, printed: Iterable<string>): Tally {
  const want = new Set(expected);
  const seen = new Map<string, number>();
  for (const body of printed) seen.set(body, (seen.get(body) ?? 0) + 1);
  const lost = [...want].filter((b) => !seen.has(b));
  let duplicates = 0;
  let unexpected = 0;
  for (const [body, n] of seen) {
    if (want.has(body)) duplicates += n - 1;
    else unexpected += n;
  }
  return { expected: want.size, delivered: want.size - lost.length, lost, duplicates, unexpected };
}

/**
 * Runs `fn` over `items` with at most `limit` at once, and starts nothing after `deadline` (epoch
 * ms): the count bounds the loop, the deadline bounds its time. Items not started are reported.
 */
export async function pool<T, R>(items: readonly T[], limit: number, deadline: number, fn: (item: T, index: number) => Promise<R>) {
  const results: Array<R | undefined> = new Array(items.length);
  let next = 0;
  let notStarted = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      if (Date.now() > deadline) {
        notStarted++;
        continue;
      }
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return { results, notStarted };
}

/** A Node stack trace on stderr: what a user must never see. */
export const hasStackTrace = (stderr: string) => /^\s+at .+(:\d+:\d+\)?|\(native\)|<anonymous>)$/m.test(stderr) || /node:internal/.test(stderr);

export const fmt = (counts: Record<string, number | string>) =>
  Object.entries(counts)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');

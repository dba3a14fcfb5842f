// Unread: N messages queued, then each tool's time to show them all and its peak RSS.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countLines, finish, peak, start } from './children.ts';
import { nodeFloorKb } from './drain-setup.ts';
import { log, sleep, tag, type Common, type Job } from './job.ts';
import { fill } from './queue.ts';
import type { DrainResult, Tool } from './results.ts';
import { peerArgs, readUnread, rsxccArgs, rsxccBuilds, type Rsxcc } from './tools.ts';

interface Drained {
  ms: number;
  /** Start to the first message printed. */
  firstMs: number;
  /** rsxcc's last message printed to exit (acknowledging, the final ping, closing, Node's exit); go-sendxmpp is killed at its last line. */
  tailMs?: number;
  shown: number;
  rssKb: number;
}

/** rsxcc -s under /usr/bin/time: start to exit, messages shown, peak RSS. */
async function drainRsxcc(job: Common, build: Rsxcc, waiting: number, marker: string): Promise<Drained> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-'));
  try {
    const rssFile = join(dir, 'rss');
    const t0 = performance.now();
    const child = start('/usr/bin/time', ['-f', '%M', '-o', rssFile, ...rsxccArgs(job, build, job.accounts.drain, '-s', '-o', 'json', '-T', '120')], job);
    const lines = countLines(child, marker);
    await finish(child, 300_000, `${build} -s with ${waiting} waiting`);
    const end = performance.now();
    const rssKb = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop());
    return { ms: end - t0, firstMs: lines.first() - t0, tailMs: end - lines.last(), shown: lines.count(), rssKb };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** go-sendxmpp -l never exits by itself: start to the last expected message printed. */
async function drainPeer(job: Common, waiting: number, marker: string): Promise<Drained> {
  const t0 = performance.now();
  const child = start('go-sendxmpp', peerArgs(job, job.accounts.drain, '-l'), job);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = countLines(child, marker);
  let rssKb = Number.NaN;
  try {
    // Bounded: a stalled drain ends after 5 minutes, or 10 s after the last message it printed.
    const deadline = t0 + 300_000;
    while (lines.count() < waiting && performance.now() < deadline && child.exitCode === null) {
      if (lines.count() > 0 && performance.now() - lines.last() > 10_000) break;
      rssKb = peak(child, rssKb, 'VmHWM');
      await sleep(50);
    }
    rssKb = peak(child, rssKb, 'VmHWM');
  } finally {
    child.kill('SIGKILL');
  }
  if (lines.count() === 0) throw new Error(`go-sendxmpp -l showed nothing: ${stderr.trim().slice(-500)}`);
  return { ms: lines.last() - t0, firstMs: lines.first() - t0, shown: lines.count(), rssKb };
}

export async function drainPhase(job: Job & { phase: 'drain' }): Promise<DrainResult[]> {
  const results: DrainResult[] = [];
  const floorRssKb = nodeFloorKb(3);
  await readUnread(job, job.accounts.drain);
  for (const waiting of job.waiting) {
    const tools: Tool[] = [...rsxccBuilds(job), ...(waiting > 0 && job.withPeer ? ['go-sendxmpp' as const] : [])];
    const rows = tools.map((tool): DrainResult => {
      const tail = tool === 'go-sendxmpp' ? {} : { tailMs: [] };
      return { server: job.server, nodes: job.nodes, tool, waiting, wallMs: [], firstMs: [], ...tail, shown: waiting, peakRssKb: 0, floorRssKb };
    });
    // In turn, the order reversed every other round, so that a machine getting busier or quieter
    // weighs on every tool alike.
    const rounds = waiting === 0 ? job.emptyRuns : job.drainRuns;
    for (let round = 0; round < rounds; round++) {
      for (const row of round % 2 ? [...rows].reverse() : rows) {
        const marker = `${tag}-${row.tool}-${waiting}-${round}`;
        await fill(job, job.accounts.drain, waiting, marker);
        const { ms, firstMs, tailMs, shown, rssKb } = await (row.tool === 'go-sendxmpp' ? drainPeer(job, waiting, marker) : drainRsxcc(job, row.tool, waiting, marker));
        row.wallMs.push(ms);
        if (shown > 0) row.firstMs!.push(firstMs);
        if (shown > 0 && tailMs !== undefined) row.tailMs!.push(tailMs);
        row.shown = Math.min(row.shown, shown);
        row.peakRssKb = Math.max(row.peakRssKb, rssKb);
        log(`unread via ${job.server}, ${waiting} waiting, ${row.tool}, round ${round + 1} of ${rounds}: ${shown} shown, ${Math.round(ms)} ms`);
        // Whatever the peer left unread (it stopped early) must not count for the next tool.
        if (shown < waiting) await readUnread(job, job.accounts.drain);
      }
    }
    results.push(...rows);
  }
  return results;
}

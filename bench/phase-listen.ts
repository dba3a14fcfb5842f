// Continuous mode: every tool listening, RSS after an idle spell, then a paced load sent to each in
// turn; every load message must be shown once.
import type { ChildProcess } from 'node:child_process';
import xml from '@xmpp/xml';
import type { Session } from '../xmpp/session.ts';
import { countLines, peak, start, waitUntil } from './children.ts';
import { nodeFloorKb } from './drain-setup.ts';
import { log, sleep, tag, type Common, type Job } from './job.ts';
import { session } from './queue.ts';
import type { ListenResult, Tool } from './results.ts';
import { peerArgs, rsxccBuilds, startRsxcc } from './tools.ts';

interface Listener {
  tool: Tool;
  child: ChildProcess;
  /** The account it listens as. */
  jid: string;
  /** Sequence numbers of load messages printed, and how many load lines in all (duplicates differ). */
  seen: Set<number>;
  loadLines: number;
  lines: () => number;
}

/** Each tool listens as an account of its own. */
const listenAs = { rsxcc: 'listen', 'go-sendxmpp': 'peerListen', 'rsxcc-baseline': 'baselineListen' } as const satisfies Record<Tool, keyof Common['accounts']>;

function startListener(job: Common, tool: Tool): Listener {
  const account = job.accounts[listenAs[tool]];
  const child = tool === 'go-sendxmpp' ? start('go-sendxmpp', peerArgs(job, account, '-l'), job) : startRsxcc(job, tool, account, '-c', '-o', 'json');
  child.stderr!.on('data', (chunk: Buffer) => log(`${tool}: ${chunk.toString().trim()}`));
  const pattern = new RegExp(`${tag}-load (\\d+)`);
  const listener: Listener = { tool, child, jid: account.jid, seen: new Set(), loadLines: 0, lines: () => 0 };
  listener.lines = countLines(child, tag, (line) => {
    const match = pattern.exec(line);
    if (!match) return;
    listener.seen.add(Number(match[1]));
    listener.loadLines += 1;
  }).count;
  return listener;
}

/** A marked message the listener has printed proves it is online before the clock starts. */
async function online(sender: Session, listener: Listener): Promise<void> {
  const deadline = performance.now() + 30_000;
  while (listener.lines() === 0 && performance.now() < deadline) {
    await sender.send(xml('message', { to: listener.jid, type: 'chat' }, xml('body', {}, `${tag} ready`)));
    await waitUntil(() => listener.lines() > 0, 2000);
  }
  if (listener.lines() === 0) throw new Error(`${listener.tool} listener never came online`);
}

/**
 * Sends `rate` messages a second for `seconds` to `to`, paced against the clock; returns how many,
 * and whether the server confirmed them all (a server that falls behind may not, within the wait).
 */
async function feed(sender: Session, to: string, rate: number, seconds: number, onTick: () => void): Promise<{ sent: number; confirmed: boolean }> {
  const t0 = performance.now();
  let sent = 0;
  const total = rate * seconds;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
    for (; sent < due; sent++) await sender.send(xml('message', { to, type: 'chat' }, xml('body', {}, `${tag}-load ${sent}`)));
    onTick();
    await sleep(20);
  }
  const confirmed = await sender.ping().then(
    () => true,
    (error: Error) => (log(`the server did not confirm the load: ${error.message}`), false),
  );
  return { sent, confirmed };
}

async function underLoad(job: Job & { phase: 'listen' }, sender: Session, listener: Listener, idleRssKb: number, floorRssKb: number): Promise<ListenResult> {
  let loadPeak = Number.NaN;
  log(`${listener.tool}: receiving ${job.rate} msg/s for ${job.loadS} s`);
  const { sent, confirmed } = await feed(sender, listener.jid, job.rate, job.loadS, () => (loadPeak = peak(listener.child, loadPeak, 'VmRSS')));
  await waitUntil(() => {
    loadPeak = peak(listener.child, loadPeak, 'VmRSS');
    return listener.seen.size >= sent;
  }, 60_000);
  log(`${listener.tool}: ${listener.seen.size} of ${sent} received`);
  return {
    server: job.server,
    tool: listener.tool,
    idleS: job.idleS,
    loadS: job.loadS,
    rate: job.rate,
    idleRssKb,
    loadPeakRssKb: loadPeak,
    floorRssKb,
    sent,
    received: listener.seen.size,
    duplicates: listener.loadLines - listener.seen.size,
    serverConfirmed: confirmed,
  };
}

export async function listenPhase(job: Job & { phase: 'listen' }): Promise<ListenResult[]> {
  const listeners = [...rsxccBuilds(job), 'go-sendxmpp' as const].map((tool) => startListener(job, tool));
  const sender = await session(job, job.accounts.sender);
  try {
    for (const listener of listeners) await online(sender, listener);
    log(`${listeners.map((l) => l.tool).join(', ')} online; idle for ${job.idleS} s`);
    await sleep(job.idleS * 1000);
    const idle = listeners.map((l) => peak(l.child, Number.NaN, 'VmRSS'));
    const floorRssKb = nodeFloorKb(3);
    const results: ListenResult[] = [];
    for (const [index, listener] of listeners.entries()) results.push(await underLoad(job, sender, listener, idle[index]!, floorRssKb));
    return results;
  } finally {
    await sender.close();
    for (const listener of listeners) listener.child.kill('SIGTERM');
    await Promise.all(listeners.map((l) => (l.child.exitCode === null ? waitUntil(() => l.child.exitCode !== null || l.child.signalCode !== null, 10_000) : true)));
  }
}

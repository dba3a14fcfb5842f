// The part of the bench that runs inside the lab's `client` host (`chatlab exec client -- ...`),
// so that every timed process starts where a user's would, without chatlab's own start-up in the
// figure. One job per run: the job comes as JSON in argv[2], the result leaves as one JSON line
// on stdout; progress goes to stderr.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import xml from '@xmpp/xml';
import { openSession, type Session } from '../cli/session.ts';
import { alternate, procStatusKb } from './stats.ts';
import type { DrainResult, ListenResult, SendResult, Server, Tool } from './results.ts';

export interface Account {
  jid: string;
  passwordFile: string;
  /** go-sendxmpp's config file (username + password), mode 600: no password on a command line. */
  peerConfig: string;
}

interface Common {
  server: Server;
  nodes: number;
  /** host:port to connect to: HAProxy for ejabberd, Prosody itself. */
  address: { host: string; port: number };
  caFile: string;
  rsxcc: string;
  accounts: Record<'sender' | 'sink' | 'drain' | 'listen' | 'peerListen', Account>;
}

export type Job =
  | (Common & { phase: 'send'; runs: number })
  | (Common & { phase: 'drain'; waiting: number[]; emptyRuns: number; withPeer: boolean })
  | (Common & { phase: 'listen'; idleS: number; loadS: number; rate: number });

const log = (text: string) => process.stderr.write(`bench[client]: ${text}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const tag = `b${Date.now().toString(36)}`;
// Spawned tools must not inherit tsx's loader hooks.
const childEnv = (job: Common) => ({ ...process.env, NODE_OPTIONS: '', SSL_CERT_FILE: job.caFile });

const live = new Set<ChildProcess>();
function start(command: string, args: string[], job: Common, stdin?: string): ChildProcess {
  const child = spawn(command, args, { env: childEnv(job), stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (stdin !== undefined) child.stdin!.end(stdin);
  return child;
}

/** Waits for exit, bounded: a hung client is killed and reported, never waited on forever. */
async function finish(child: ChildProcess, limitMs: number, what: string): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${what} exited ${code ?? 'on a signal (time limit?)'}: ${stderr.trim().slice(-500)}`);
  return { code, stderr };
}

const server = (job: Common) => `${job.address.host}:${job.address.port}`;
// rsxcc as its users start it, the bundle itself, so that its first line applies (build.mjs).
const rsxccArgs = (job: Common, account: Account, ...mode: string[]) => [
  job.rsxcc, '-j', account.jid, '-P', account.passwordFile, '-a', job.caFile, '-x', server(job), ...mode,
];
const startRsxcc = (job: Common, account: Account, ...mode: string[]) => {
  const [command, ...args] = rsxccArgs(job, account, ...mode);
  return start(command!, args, job);
};
const peerArgs = (job: Common, account: Account, ...mode: string[]) => ['-f', account.peerConfig, '-j', server(job), ...mode];

/** Counts the lines of a child's stdout that contain `marker`, calling `onLine` for each. */
function countLines(child: ChildProcess, marker: string, onLine: (line: string) => void = () => {}): { count: () => number; last: () => number } {
  let count = 0;
  let last = 0;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (!line.includes(marker)) return;
    count += 1;
    last = performance.now();
    onLine(line);
  });
  return { count: () => count, last: () => last };
}

async function password(account: Account): Promise<string> {
  return (await readFile(account.passwordFile, 'utf8')).split('\n')[0]!;
}

/** The bench's own connections wait long: a server under load answers a ping only after its backlog. */
async function session(job: Common, account: Account): Promise<Session> {
  return openSession({ jid: account.jid, password: await password(account), server: job.address, caFile: job.caFile, timeoutMs: 120_000 });
}

/** Empties an account's offline storage with rsxcc itself (untimed); returns the lines shown. */
async function readUnread(job: Common, account: Account): Promise<string[]> {
  const child = startRsxcc(job, account, '-s', '-o', 'json', '-T', '60');
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
  await finish(child, 120_000, 'rsxcc -s (emptying the queue)');
  return lines;
}

const NS_OFFLINE = 'http://jabber.org/protocol/offline';
const fillChunk = 200;

/**
 * Queues `count` messages for `to` over one connection; the ping proves the server routed them.
 * ejabberd writes offline storage asynchronously, so there we also wait for XEP-0013's count.
 */
async function fill(job: Common, to: Account, count: number, marker: string): Promise<void> {
  if (count === 0) return;
  const started = performance.now();
  const sender = await session(job, job.accounts.sender);
  try {
    // A ping every chunk keeps each wait short and bounded, and shows how fast the server stores.
    for (let i = 0; i < count; i++) {
      await sender.send(xml('message', { to: to.jid, type: 'chat', id: `${marker}-${i}` }, xml('body', {}, `${marker} ${i}`)));
      if ((i + 1) % fillChunk === 0 || i + 1 === count) await sender.ping();
      if ((i + 1) % (fillChunk * 10) === 0) log(`queued ${i + 1} of ${count} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
  } finally {
    await sender.close();
  }
  if (job.server === 'ejabberd') {
    const receiver = await session(job, to);
    try {
      // Until all are counted, or the count has stood still for 3 s: each node counts from its
      // own cache, and a count that stops short is the server's to explain. The drain that
      // follows shows what really is there, and the table flags a shortfall ("N shown").
      let stored = -1;
      let still = 0;
      for (let attempt = 0; attempt < 600 && stored < count && still < 30; attempt++) {
        const info = await receiver.request(
          xml('iq', { type: 'get' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info', node: NS_OFFLINE })),
        );
        const field = info.getChild('query')?.getChild('x', 'jabber:x:data')?.getChildren('field').find((f) => f.attrs.var === 'number_of_messages');
        const now = Number(field?.getChildText('value') ?? 0);
        still = now === stored ? still + 1 : 0;
        stored = now;
        if (stored < count) await sleep(100);
      }
      if (stored < count) log(`warning: the server counts ${stored} of ${count} messages in offline storage`);
    } finally {
      await receiver.close();
    }
  }
  log(`queued ${count} messages for ${to.jid} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

async function timedSend(job: Common, tool: Tool | 'floor', body: string): Promise<number> {
  const { sender, sink } = job.accounts;
  const t0 = performance.now();
  const child =
    tool === 'rsxcc'
      ? startRsxcc(job, sender, '-t', sink.jid, '-m', body)
      : tool === 'go-sendxmpp'
        ? start('go-sendxmpp', peerArgs(job, sender, sink.jid), job, `${body}\n`)
        : start(process.execPath, ['-e', '0'], job);
  await finish(child, 30_000, tool);
  return performance.now() - t0;
}

async function sendPhase(job: Job & { phase: 'send' }): Promise<SendResult> {
  await readUnread(job, job.accounts.sink);
  // One untimed round loads every binary and library into the page cache.
  for (const tool of ['rsxcc', 'go-sendxmpp', 'floor'] as const) await timedSend(job, tool, `warm-up ${tool}`);
  const result: SendResult = { server: job.server, nodes: job.nodes, rsxccMs: [], peerMs: [], floorMs: [], runs: job.runs, delivered: { rsxcc: 0, 'go-sendxmpp': 0 } };
  for (let run = 0; run < job.runs; run++) {
    for (const tool of alternate<Tool>(run, 'rsxcc', 'go-sendxmpp')) {
      const ms = await timedSend(job, tool, `${tag} ${tool} ${run}`);
      (tool === 'rsxcc' ? result.rsxccMs : result.peerMs).push(ms);
    }
    result.floorMs.push(await timedSend(job, 'floor', ''));
  }
  // "Delivery confirmed" for both: count what the recipient really has (go-sendxmpp waits for no confirmation).
  const received = await readUnread(job, job.accounts.sink);
  for (const tool of ['rsxcc', 'go-sendxmpp'] as const) {
    result.delivered[tool] = received.filter((line) => line.includes(`${tag} ${tool} `)).length;
  }
  log(`send via ${job.server}: ${job.runs} alternating runs done`);
  return result;
}

/** rsxcc -s under /usr/bin/time: start to exit, messages shown, peak RSS. */
async function drainRsxcc(job: Common, waiting: number, marker: string): Promise<{ ms: number; shown: number; rssKb: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-'));
  try {
    const rssFile = join(dir, 'rss');
    const t0 = performance.now();
    const child = start('/usr/bin/time', ['-f', '%M', '-o', rssFile, ...rsxccArgs(job, job.accounts.drain, '-s', '-o', 'json', '-T', '120')], job);
    const lines = countLines(child, marker);
    await finish(child, 300_000, `rsxcc -s with ${waiting} waiting`);
    const ms = performance.now() - t0;
    return { ms, shown: lines.count(), rssKb: Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** go-sendxmpp -l never exits by itself: start to the last expected message printed. */
async function drainPeer(job: Common, waiting: number, marker: string): Promise<{ ms: number; shown: number; rssKb: number }> {
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
  return { ms: lines.last() - t0, shown: lines.count(), rssKb };
}

/** The larger of `known` and the child's current RSS figure; the child may have just exited. */
function peak(child: ChildProcess, known: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const kb = procStatusKb(readFileSync(`/proc/${child.pid}/status`, 'utf8'), field);
    return Number.isFinite(known) ? Math.max(known, kb) : kb;
  } catch {
    return known;
  }
}

async function drainPhase(job: Job & { phase: 'drain' }): Promise<DrainResult[]> {
  const results: DrainResult[] = [];
  await readUnread(job, job.accounts.drain);
  for (const waiting of job.waiting) {
    const tools: Tool[] = waiting > 0 && job.withPeer ? ['rsxcc', 'go-sendxmpp'] : ['rsxcc'];
    for (const tool of tools) {
      const runs = waiting === 0 ? job.emptyRuns : 1;
      const result: DrainResult = { server: job.server, nodes: job.nodes, tool, waiting, wallMs: [], shown: 0, peakRssKb: 0 };
      for (let run = 0; run < runs; run++) {
        const marker = `${tag}-${tool}-${waiting}-${run}`;
        await fill(job, job.accounts.drain, waiting, marker);
        const { ms, shown, rssKb } = await (tool === 'rsxcc' ? drainRsxcc : drainPeer)(job, waiting, marker);
        result.wallMs.push(ms);
        result.shown = shown;
        result.peakRssKb = Math.max(result.peakRssKb, rssKb);
      }
      log(`unread via ${job.server}, ${waiting} waiting, ${tool}: ${result.shown} shown, ${Math.round(result.wallMs.at(-1)!)} ms`);
      results.push(result);
      // Whatever the peer left unread (it stopped early) must not count for the next tool.
      if (result.shown < waiting) await readUnread(job, job.accounts.drain);
    }
  }
  return results;
}

interface Listener {
  tool: Tool;
  child: ChildProcess;
  /** Sequence numbers of load messages printed, and how many load lines in all (duplicates differ). */
  seen: Set<number>;
  loadLines: number;
  lines: () => number;
}

function startListener(job: Common, tool: Tool): Listener {
  const account = tool === 'rsxcc' ? job.accounts.listen : job.accounts.peerListen;
  const child =
    tool === 'rsxcc'
      ? startRsxcc(job, account, '-c', '-o', 'json')
      : start('go-sendxmpp', peerArgs(job, account, '-l'), job);
  child.stderr!.on('data', (chunk: Buffer) => log(`${tool}: ${chunk.toString().trim()}`));
  const pattern = new RegExp(`${tag}-load (\\d+)`);
  const listener: Listener = { tool, child, seen: new Set(), loadLines: 0, lines: () => 0 };
  listener.lines = countLines(child, tag, (line) => {
    const match = pattern.exec(line);
    if (!match) return;
    listener.seen.add(Number(match[1]));
    listener.loadLines += 1;
  }).count;
  return listener;
}

async function waitUntil(condition: () => boolean, limitMs: number): Promise<boolean> {
  const deadline = performance.now() + limitMs;
  while (!condition() && performance.now() < deadline) await sleep(50);
  return condition();
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

async function listenPhase(job: Job & { phase: 'listen' }): Promise<ListenResult[]> {
  const listeners = (['rsxcc', 'go-sendxmpp'] as const).map((tool) => startListener(job, tool));
  const sender = await session(job, job.accounts.sender);
  try {
    // A marked message each listener has printed proves it is online before the clock starts.
    for (const listener of listeners) {
      const to = listener.tool === 'rsxcc' ? job.accounts.listen.jid : job.accounts.peerListen.jid;
      const deadline = performance.now() + 30_000;
      while (listener.lines() === 0 && performance.now() < deadline) {
        await sender.send(xml('message', { to, type: 'chat' }, xml('body', {}, `${tag} ready`)));
        await waitUntil(() => listener.lines() > 0, 2000);
      }
      if (listener.lines() === 0) throw new Error(`${listener.tool} listener never came online`);
    }
    log(`both listeners online; idle for ${job.idleS} s`);
    await sleep(job.idleS * 1000);
    const idle = listeners.map((l) => peak(l.child, Number.NaN, 'VmRSS'));
    const results: ListenResult[] = [];
    for (const [index, listener] of listeners.entries()) {
      const to = listener.tool === 'rsxcc' ? job.accounts.listen.jid : job.accounts.peerListen.jid;
      let loadPeak = Number.NaN;
      log(`${listener.tool}: receiving ${job.rate} msg/s for ${job.loadS} s`);
      const { sent, confirmed } = await feed(sender, to, job.rate, job.loadS, () => (loadPeak = peak(listener.child, loadPeak, 'VmRSS')));
      await waitUntil(() => {
        loadPeak = peak(listener.child, loadPeak, 'VmRSS');
        return listener.seen.size >= sent;
      }, 60_000);
      results.push({
        server: job.server,
        tool: listener.tool,
        idleS: job.idleS,
        loadS: job.loadS,
        rate: job.rate,
        idleRssKb: idle[index]!,
        loadPeakRssKb: loadPeak,
        sent,
        received: listener.seen.size,
        duplicates: listener.loadLines - listener.seen.size,
        serverConfirmed: confirmed,
      });
      log(`${listener.tool}: ${listener.seen.size} of ${sent} received`);
    }
    return results;
  } finally {
    await sender.close();
    for (const listener of listeners) listener.child.kill('SIGTERM');
    await Promise.all(listeners.map((l) => (l.child.exitCode === null ? waitUntil(() => l.child.exitCode !== null || l.child.signalCode !== null, 10_000) : true)));
  }
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]!) as Job;
  try {
    const result = job.phase === 'send' ? await sendPhase(job) : job.phase === 'drain' ? await drainPhase(job) : await listenPhase(job);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    for (const child of live) child.kill('SIGKILL');
  }
}

await main();

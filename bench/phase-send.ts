// Send one message: each rsxcc build and go-sendxmpp in turn, and the `node -e 0` floor, each timed
// from start to exit. To a user of the same server, afterwards the recipient's unread messages say
// what each tool really delivered; to one across federation, or to a room, only the time is taken
// (the proof suite counts those deliveries).
import { finish, start } from './children.ts';
import { log, tag, type Common, type Job, type SendTarget } from './job.ts';
import type { SendResult, Tool } from './results.ts';
import { rotate } from './stats.ts';
import { peerArgs, readUnread, rsxccBuilds, startRsxcc } from './tools.ts';

/** Each tool's arguments for the target: rsxcc's -t or -g ROOM/NICK, go-sendxmpp's JID or -c ROOM -a NICK. */
const recipient = (target: SendTarget, tool: Tool) =>
  target.kind !== 'room' ? (tool === 'go-sendxmpp' ? [target.jid] : ['-t', target.jid])
    : tool === 'go-sendxmpp' ? ['-c', '-a', `${target.nick}-go`, target.jid] : ['-g', `${target.jid}/${target.nick}-${tool}`];

async function timedSend(job: Common & { target: SendTarget }, tool: Tool | 'floor', body: string): Promise<number> {
  const { sender } = job.accounts;
  const t0 = performance.now();
  const child =
    tool === 'go-sendxmpp'
      ? start('go-sendxmpp', peerArgs(job, sender, ...recipient(job.target, tool)), job, `${body}\n`)
      : tool === 'floor'
        ? start(process.execPath, ['-e', '0'], job)
        : startRsxcc(job, tool, sender, ...recipient(job.target, tool), '-m', body);
  await finish(child, 30_000, tool);
  return performance.now() - t0;
}

export async function sendPhase(job: Job & { phase: 'send' }): Promise<SendResult> {
  const tools: Tool[] = [...rsxccBuilds(job), 'go-sendxmpp'];
  const local = job.target.kind === 'local';
  if (local) await readUnread(job, job.accounts.sink);
  // One untimed round loads every binary and library into the page cache.
  for (const tool of [...tools, 'floor'] as const) await timedSend(job, tool, `warm-up ${tool}`);
  const ms: SendResult['ms'] = Object.fromEntries(tools.map((tool) => [tool, []]));
  const result: SendResult = { server: job.server, nodes: job.nodes, target: job.target.kind, ms, floorMs: [], runs: job.runs, delivered: {} };
  for (let run = 0; run < job.runs; run++) {
    for (const tool of rotate(run, tools)) ms[tool]!.push(await timedSend(job, tool, `${tag} ${tool} ${run}`));
    result.floorMs.push(await timedSend(job, 'floor', ''));
  }
  if (local) {
    // "Delivery confirmed" for all: count what the recipient really has (go-sendxmpp waits for no confirmation).
    const received = await readUnread(job, job.accounts.sink);
    for (const tool of tools) result.delivered[tool] = received.filter((line) => line.includes(`${tag} ${tool} `)).length;
  }
  log(`send via ${job.server} to ${job.target.kind} ${job.target.jid}: ${job.runs} rounds of ${tools.join(', ')} done`);
  return result;
}

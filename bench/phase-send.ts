// Send one message: each rsxcc build and go-sendxmpp in turn, and the `node -e 0` floor, each timed
// from start to exit; afterwards the recipient's unread messages say what each tool really delivered.
import { finish, start } from './children.ts';
import { log, tag, type Common, type Job } from './job.ts';
import type { SendResult, Tool } from './results.ts';
import { rotate } from './stats.ts';
import { peerArgs, readUnread, rsxccBuilds, startRsxcc } from './tools.ts';

async function timedSend(job: Common, tool: Tool | 'floor', body: string): Promise<number> {
  const { sender, sink } = job.accounts;
  const t0 = performance.now();
  const child =
    tool === 'go-sendxmpp'
      ? start('go-sendxmpp', peerArgs(job, sender, sink.jid), job, `${body}\n`)
      : tool === 'floor'
        ? start(process.execPath, ['-e', '0'], job)
        : startRsxcc(job, tool, sender, '-t', sink.jid, '-m', body);
  await finish(child, 30_000, tool);
  return performance.now() - t0;
}

export async function sendPhase(job: Job & { phase: 'send' }): Promise<SendResult> {
  const tools: Tool[] = [...rsxccBuilds(job), 'go-sendxmpp'];
  await readUnread(job, job.accounts.sink);
  // One untimed round loads every binary and library into the page cache.
  for (const tool of [...tools, 'floor'] as const) await timedSend(job, tool, `warm-up ${tool}`);
  const ms: SendResult['ms'] = Object.fromEntries(tools.map((tool) => [tool, []]));
  const result: SendResult = { server: job.server, nodes: job.nodes, ms, floorMs: [], runs: job.runs, delivered: {} };
  for (let run = 0; run < job.runs; run++) {
    for (const tool of rotate(run, tools)) ms[tool]!.push(await timedSend(job, tool, `${tag} ${tool} ${run}`));
    result.floorMs.push(await timedSend(job, 'floor', ''));
  }
  // "Delivery confirmed" for all: count what the recipient really has (go-sendxmpp waits for no confirmation).
  const received = await readUnread(job, job.accounts.sink);
  for (const tool of tools) result.delivered[tool] = received.filter((line) => line.includes(`${tag} ${tool} `)).length;
  log(`send via ${job.server}: ${job.runs} rounds of ${tools.join(', ')} done`);
  return result;
}

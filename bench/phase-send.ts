// Send one message: rsxcc and go-sendxmpp alternately, and the `node -e 0` floor, each timed from
// start to exit; afterwards the recipient's unread messages say what each tool really delivered.
import { finish, start } from './children.ts';
import { log, tag, type Common, type Job } from './job.ts';
import type { SendResult, Tool } from './results.ts';
import { alternate } from './stats.ts';
import { peerArgs, readUnread, startRsxcc } from './tools.ts';

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

export async function sendPhase(job: Job & { phase: 'send' }): Promise<SendResult> {
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

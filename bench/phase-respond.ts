// The responder (-R) as an agent on a host runs it all day: its RSS once idle, then while it
// answers `requests` requests one after the other (each runs `cat`, the reply confirmed and the
// request acknowledged), and once they are all answered. There is no peer: go-sendxmpp has no
// responder; `node -e 0`'s figure in the send rows is the floor.
import xml from '@xmpp/xml';
import type { Element } from '@xmpp/xml';
import { peak, start, waitUntil } from './children.ts';
import { log, sleep, tag, type Job } from './job.ts';
import { session } from './queue.ts';
import type { RespondResult } from './results.ts';
import { rsxccArgs } from './tools.ts';

/** Requests the sender keeps in flight: the responder answers one at a time anyway. */
const window = 50;

export async function respondPhase(job: Job & { phase: 'respond' }): Promise<RespondResult> {
  const { sender, respond } = job.accounts;
  const [command, ...args] = rsxccArgs(job, 'rsxcc', respond, '-R', '-A', sender.jid, '--', 'cat');
  const child = start(command!, args, job);
  child.stderr!.on('data', (chunk: Buffer) => log(`responder: ${chunk.toString().trim()}`));
  const answered = new Set<string>();
  const onStanza = (stanza: Element) => {
    const thread = stanza.name === 'message' && stanza.attrs.type !== 'error' ? stanza.getChildText('thread') : null;
    if (thread?.startsWith(tag)) answered.add(thread);
  };
  const requester = await session(job, sender, onStanza);
  const ask = (thread: string) => requester.send(xml('message', { to: respond.jid, type: 'chat' }, xml('body', {}, 'ping'), xml('thread', {}, thread)));
  try {
    // Answered once: it is online, available and through its catch-up.
    await ask(`${tag}-ready`);
    if (!(await waitUntil(() => answered.has(`${tag}-ready`), 30_000))) throw new Error('the responder never answered');
    await sleep(job.idleS * 1000);
    const idleRssKb = peak(child, Number.NaN, 'VmRSS');
    let peakRssKb = idleRssKb;
    const t0 = performance.now();
    const deadline = t0 + job.limitS * 1000;
    const done = () => answered.size - 1;
    // Bounded in count and in time: a responder that stops answering ends the phase at `limitS`.
    for (let sent = 0; done() < job.requests && performance.now() < deadline; ) {
      for (; sent < job.requests && sent - done() < window; sent++) await ask(`${tag}-${sent}`);
      await sleep(20);
      peakRssKb = peak(child, peakRssKb, 'VmRSS');
    }
    const ms = performance.now() - t0;
    log(`responder: ${done()} of ${job.requests} answered in ${(ms / 1000).toFixed(1)} s`);
    return { server: job.server, requests: job.requests, answered: done(), ms, idleS: job.idleS, idleRssKb, peakRssKb, afterRssKb: peak(child, Number.NaN, 'VmRSS') };
  } finally {
    await requester.close();
    child.kill('SIGTERM');
    await waitUntil(() => child.exitCode !== null || child.signalCode !== null, 10_000);
  }
}

// Set-up through the XMPP library itself, untimed: messages queued in an account's offline storage,
// and the sender of the continuous-mode load.
import { readFile } from 'node:fs/promises';
import xml, { type Element } from '@xmpp/xml';
import { openSession, type Session } from '../xmpp/session.ts';
import { log, sleep, type Account, type Common } from './job.ts';

const NS_OFFLINE = 'http://jabber.org/protocol/offline';
const fillChunk = 200;

async function password(account: Account): Promise<string> {
  return (await readFile(account.passwordFile, 'utf8')).split('\n')[0]!;
}

/** The bench's own connections wait long: a server under load answers a ping only after its backlog. */
export async function session(job: Common, account: Account, onStanza?: (stanza: Element) => void): Promise<Session> {
  return openSession({ jid: account.jid, password: await password(account), server: job.address, caFile: job.caFile, timeoutMs: 120_000, onStanza });
}

/**
 * Until the server counts all `count` (XEP-0013's number_of_messages), or its count has stood still
 * for 3 s: each ejabberd node counts from its own cache, and a count that stops short is the
 * server's to explain. The drain that follows shows what really is there, and the table flags a
 * shortfall ("N shown").
 */
async function waitForCount(receiver: Session, count: number): Promise<void> {
  let stored = -1;
  let still = 0;
  for (let attempt = 0; attempt < 600 && stored < count && still < 30; attempt++) {
    const info = await receiver.request(xml('iq', { type: 'get' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info', node: NS_OFFLINE })));
    const field = info.getChild('query')?.getChild('x', 'jabber:x:data')?.getChildren('field').find((f) => f.attrs.var === 'number_of_messages');
    const now = Number(field?.getChildText('value') ?? 0);
    still = now === stored ? still + 1 : 0;
    stored = now;
    if (stored < count) await sleep(100);
  }
  if (stored < count) log(`warning: the server counts ${stored} of ${count} messages in offline storage`);
}

/**
 * Queues `count` messages for `to` over one connection; the ping proves the server routed them.
 * ejabberd writes offline storage asynchronously, so there we also wait for XEP-0013's count.
 */
export async function fill(job: Common, to: Account, count: number, marker: string): Promise<void> {
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
      await waitForCount(receiver, count);
    } finally {
      await receiver.close();
    }
  }
  log(`queued ${count} messages for ${to.jid} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

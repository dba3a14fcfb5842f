// Peek mode (-n): how many offline messages wait, and from whom, without taking any. XEP-0013's
// header list (disco#items, node=offline) counts them; no presence is sent and nothing is fetched,
// so everything stays stored. A server without XEP-0013 (Prosody 0.12) cannot be asked without
// taking the messages: that is a failure (69), never a guessed number.
import { NotSupportedError } from '../../xmpp/errors.ts';
import { bareJid, parseJid } from '../../xmpp/jid.ts';
import type { OpenSession, Session } from '../../xmpp/session.ts';
import type { Diagnostics } from '../debug.ts';
import type { OutputFormat, Options } from '../options/resolve.ts';
import { writeOut } from '../output.ts';
import { settle } from './settle.ts';
import { NS_OFFLINE, offlineHeaders } from './unread.ts';

export interface OfflineCount {
  count: number;
  /** Bare sender JID and how many are from it, most first (then by JID). */
  senders: Array<[string, number]>;
}

/** An item without a name has no known sender, but it is still a message waiting. */
const unknownSender = '(unknown sender)';

export async function peek(session: Session): Promise<OfflineCount> {
  const account = bareJid(parseJid(session.jid));
  if (!(await session.hasFeature(NS_OFFLINE, account))) {
    throw new NotSupportedError(`${account}: the server does not offer XEP-0013 (${NS_OFFLINE}): offline messages cannot be counted without taking them`);
  }
  const headers = await offlineHeaders(session);
  const bySender = new Map<string, number>();
  for (const { sender } of headers) {
    // The name is the sender's full JID: its resource differs from one message to the next.
    const key = sender === undefined ? unknownSender : sender.split('/', 1)[0]!;
    bySender.set(key, (bySender.get(key) ?? 0) + 1);
  }
  const senders = [...bySender].sort(([a, m], [b, n]) => n - m || (a < b ? -1 : a > b ? 1 : 0));
  return { count: headers.length, senders };
}

/** Text: `3 offline messages`, then `COUNT SENDER` a line; JSON: one object. */
export function formatCount({ count, senders }: OfflineCount, format: OutputFormat): string {
  if (format === 'json') return `${JSON.stringify({ count, senders: Object.fromEntries(senders) })}\n`;
  const lines = [`${count} offline message${count === 1 ? '' : 's'}`, ...senders.map(([sender, n]) => `${n} ${sender}`)];
  return `${lines.join('\n')}\n`;
}

export async function run(open: OpenSession, options: Options, diag: Diagnostics): Promise<void> {
  const session = await open({});
  const counting = peek(session).then(async (counted) => {
    diag.progress(`${counted.count} offline message(s) from ${counted.senders.length} sender(s)`);
    await writeOut(process.stdout, formatCount(counted, options.output));
  });
  await settle(session, counting);
}

// Request mode (-q): one message to one recipient in a new XEP-0201 thread, then its reply, printed.
// Delivery is confirmed first, as a send's is (a ping after the message, error replies collected),
// so that "no reply in time" (75) is told apart from "not delivered" (69).
//
// No presence is ever sent, so the account's offline messages stay stored (as in send mode). The
// reply still arrives: it is addressed to this resource's full JID, and both servers deliver a
// message to the full JID of a bound resource whether it is available or not (Prosody 0.12
// mod_message, "message/full": full_sessions, filled at resource binding, not by presence;
// ejabberd 23.01 ejabberd_sm:do_route/1: the session of the full JID, where
// ejabberd_c2s:process_message_in/2 checks privacy lists only). Messages to the bare JID go to
// available resources or offline storage, never here.
//
// Only the reply is consumed. With stream management, any other message with a body that reaches
// this resource meanwhile (only the recipient knows its full JID) is left with the server, which
// routes it again when the session ends (ejabberd's resend_on_timeout, the lab's Prosody module):
// to another available resource of the account, or offline storage. Since an acknowledgement
// counts a prefix of the stream, a reply that came after such a message stays with the server too
// and will be shown again by -s; a duplicate, never a loss.
import { randomUUID } from 'node:crypto';
import type { Element } from '@xmpp/xml';
import { fullJid, parseJid } from '../../xmpp/jid.ts';
import type { OpenSession, Pending, Session } from '../../xmpp/session.ts';
import type { Diagnostics } from '../debug.ts';
import { NoReplyError } from '../errors.ts';
import type { Options } from '../options/resolve.ts';
import { printer, readMessage, type ReceivedMessage } from '../output.ts';
import { DeliveryReport, messageBody, sendMessages, throwFailures } from './send.ts';
import { settle } from './settle.ts';

const leftWithServer: Pending = { handled: Promise.resolve(false) };

const bareOf = (jid: string) => jid.split('/')[0]!.toLowerCase();

/** One request's thread, and the stanza handler that tells its reply from everything else. */
export class Exchange {
  readonly thread = randomUUID();
  readonly report = new DeliveryReport();
  private readonly reply: Promise<Element>;
  private answer: (reply: Element) => void = () => {};
  private refuse: (error: Error) => void = () => {};
  private answered = false;

  constructor(readonly recipient: string) {
    this.reply = new Promise((resolve, reject) => {
      this.answer = resolve;
      this.refuse = reject;
    });
    // An error reply may come before anyone waits for the reply: the send reports it then.
    this.reply.catch(() => {});
  }

  /** A reply: not an error, has a body, and is in our thread, or carries none and comes from the recipient. */
  private isReply(stanza: Element): boolean {
    if (stanza.name !== 'message' || stanza.attrs.type === 'error' || stanza.getChild('body') === undefined) return false;
    const thread = stanza.getChildText('thread');
    return thread === this.thread || (thread === null && bareOf(stanza.attrs.from ?? '') === bareOf(this.recipient));
  }

  onStanza = (stanza: Element): Pending | undefined => {
    this.report.onStanza(stanza);
    const [error] = this.report.errors;
    if (error) this.refuse(error);
    if (!this.answered && this.isReply(stanza)) {
      this.answered = true;
      this.answer(stanza);
      return undefined;
    }
    // Bodiless messages (chat states, receipts) have nothing to lose; error replies to the request were seen above.
    const hasBody = stanza.name === 'message' && stanza.getChild('body') !== undefined;
    const ours = stanza.attrs.id !== undefined && this.report.sent.has(stanza.attrs.id);
    return hasBody && !ours ? leftWithServer : undefined;
  };

  /** The reply, once it came; a NoReplyError after `ms`, or the session's end, if it did not. */
  async replyWithin(ms: number, ended: Promise<Error | undefined>): Promise<Element> {
    let timer: NodeJS.Timeout | undefined;
    const expiry = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new NoReplyError(`no reply from ${this.recipient} within ${ms / 1000} s (the server confirmed the request)`)), ms);
    });
    const broken = ended.then((error) => Promise.reject(error ?? new Error('the session closed while waiting for the reply')));
    broken.catch(() => {});
    try {
      return await Promise.race([this.reply, expiry, broken]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Sends the request, has it confirmed, waits for the reply: the reply as a message to print. */
export async function ask(session: Session, exchange: Exchange, body: string, waitMs: number, progress: (text: string) => void): Promise<ReceivedMessage> {
  await session.enableStreamManagement();
  throwFailures(await sendMessages(session, exchange.report, [parseJid(exchange.recipient)], { body, kind: 'chat', thread: exchange.thread }, progress));
  progress(`waiting up to ${waitMs / 1000} s for the reply (thread ${exchange.thread})`);
  const reply = await exchange.replyWithin(waitMs, session.ended);
  return readMessage(reply, Date.now())!;
}

export async function run(open: OpenSession, options: Options, diag: Diagnostics): Promise<void> {
  const body = await messageBody(options);
  const exchange = new Exchange(fullJid(options.recipients[0]!));
  const session = await open({ onStanza: exchange.onStanza });
  const print = printer(process.stdout, options.output);
  await settle(session, ask(session, exchange, body, options.replyWaitMs, diag.progress).then(print));
}

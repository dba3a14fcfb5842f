// Send mode: success means the server has every message, not that a socket accepted bytes.
// The confirmation is an IQ ping sent after the messages: a server handles a stream's stanzas in
// order, so its answer proves each message was routed, and any error a local recipient produced
// has arrived before it. A recipient on another domain is confirmed by a ping to that domain
// (xmpp/federation.ts), a room by relaying our message back (rooms.ts). No undirected presence is
// ever sent: an available resource would make the server flush (and this run lose) the sender's
// own offline messages. A headline is the one kind no server stores: it goes to the recipient's
// online resources or nowhere (RFC 6121 8.5), so for it exit 0 means the server handled it, not
// that anyone has it.
import type { Element } from '@xmpp/xml';
import { DataError, RecipientError, stanzaErrorOf } from '../../xmpp/errors.ts';
import { pingDomain } from '../../xmpp/federation.ts';
import { fullJid, parseJid, type Jid } from '../../xmpp/jid.ts';
import { Muc } from '../../xmpp/muc.ts';
import type { OpenSession, Session } from '../../xmpp/session.ts';
import { StanzaWaiters } from '../../xmpp/stanza-waiters.ts';
import type { Diagnostics } from '../debug.ts';
import type { MessageKind } from '../options/archive.ts';
import { Failures } from '../errors.ts';
import type { Options } from '../options/resolve.ts';
import { sayInRoom } from './rooms.ts';
import { settle } from './settle.ts';

// XML 1.0 section 2.2 Char: everything else cannot be carried in a stanza at all.
export const notXmlChar = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;

/** The text exactly as it will be sent, or a DataError saying which character XML cannot carry. */
export function checkText(text: string, what: string): string {
  const bad = notXmlChar.exec(text);
  if (bad) {
    const code = bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    throw new DataError(`${what} contains U+${code} at offset ${bad.index}, which XML cannot carry`);
  }
  return text;
}

/** The body exactly as it will be sent, or a DataError saying why it cannot be. */
export function checkBody(body: string): string {
  if (body === '') throw new DataError('empty message body: nothing to send');
  return checkText(body, 'message body');
}

/** What each recipient is sent. */
export interface Outgoing {
  body: string;
  kind: MessageKind;
  subject?: string;
  /** XEP-0201: the conversation the message belongs to (a request's, -q). */
  thread?: string;
}

/** A pipe usually ends the text with one newline that belongs to the line, not to the message. */
export function bodyFromInput(input: string): string {
  return input.endsWith('\r\n') ? input.slice(0, -2) : input.endsWith('\n') ? input.slice(0, -1) : input;
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('rsxcc: type the message, end it with Ctrl-D\n');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // Fatal decoding: invalid UTF-8 is the caller's mistake to hear about, not something to send
  // on as U+FFFD replacement characters.
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new DataError('standard input is not valid UTF-8');
  }
}

/** The body of -m, else standard input (less its trailing newline), checked. */
export async function messageBody(options: Pick<Options, 'message'>): Promise<string> {
  return checkBody(options.message ?? bodyFromInput(await readStdin()));
}

/** An error stanza as the failure of what was sent to `recipient`. */
export function stanzaError(stanza: Element, recipient: string): RecipientError {
  const { condition, text } = stanzaErrorOf(stanza);
  return new RecipientError(recipient, condition, text);
}

/**
 * Collects error replies to the messages we send. Its `onStanza` must see every incoming stanza;
 * `errors` is complete for a domain's recipients once a later ping to that domain returned.
 */
export class DeliveryReport {
  readonly sent = new Map<string, string>();
  readonly errors: RecipientError[] = [];

  onStanza = (stanza: Element): void => {
    const id = stanza.attrs.id;
    if (stanza.name !== 'message' || stanza.attrs.type !== 'error' || id === undefined || !this.sent.has(id)) return;
    this.errors.push(stanzaError(stanza, this.sent.get(id)!));
  };
}

/** The recipients' domains other than the account's, each once: their confirmation crosses federation. */
export function remoteDomains(account: string, recipients: readonly Jid[]): string[] {
  const own = parseJid(account).domain;
  return [...new Set(recipients.map((recipient) => recipient.domain))].filter((domain) => domain !== own);
}

/**
 * Sends `body` to each recipient and returns the failures: error replies, then remote domains that
 * did not confirm. Rejects when our own server did not confirm (the session itself failed).
 */
export async function sendMessages(
  session: Session,
  report: DeliveryReport,
  recipients: readonly Jid[],
  { body, kind, subject, thread }: Outgoing,
  progress: (text: string) => void = () => {},
): Promise<Error[]> {
  const { default: xml } = await import('@xmpp/xml');
  const { randomUUID } = await import('node:crypto');
  for (const recipient of recipients) {
    const id = randomUUID();
    const to = fullJid(recipient);
    report.sent.set(id, to);
    const subjectElement = subject === undefined ? null : xml('subject', {}, subject);
    const threadElement = thread === undefined ? null : xml('thread', {}, thread);
    await session.send(xml('message', { to, type: kind, id }, subjectElement, xml('body', {}, body), threadElement));
  }
  const remote = remoteDomains(session.jid, recipients);
  progress(`sent ${recipients.length} message(s); waiting for ${['the server', ...remote].join(', ')} to confirm`);
  const caught = (domain: string) => pingDomain(session, domain).then(() => undefined, (error: Error) => ({ domain, error }));
  const [, ...pinged] = await Promise.all([session.ping(), ...remote.map(caught)]);
  // A domain whose recipient bounced has failed already: its ping's failure would say it twice.
  const bounced = new Set(report.errors.map((error) => parseJid(error.recipient).domain));
  const unconfirmed = pinged.flatMap((failed) => (failed && !bounced.has(failed.domain) ? [failed.error] : []));
  if (report.errors.length + unconfirmed.length === 0) progress('every message confirmed');
  return [...report.errors, ...unconfirmed];
}

/** Users and rooms side by side, each room confirmed by its own relay; failures in command-line order. */
async function deliver(session: Session, report: DeliveryReport, muc: Muc, options: Options, outgoing: Outgoing, progress: (text: string) => void): Promise<void> {
  const caught = (work: Promise<void>) => work.then(() => [], (error: Error) => [error]);
  // A room takes groupchat only: the kind and subject are for users.
  const rooms = Promise.all(options.rooms.map((room) => caught(sayInRoom(muc, room, outgoing.body, progress))));
  const users = options.recipients.length ? await sendMessages(session, report, options.recipients, outgoing, progress) : [];
  throwFailures([...users, ...(await rooms).flat()]);
}

/** None: done; one: that one; several: all of them, the first one's status. */
export function throwFailures(failures: readonly Error[]): void {
  if (failures.length > 1) throw new Failures([...failures]);
  if (failures.length === 1) throw failures[0];
}

export async function run(open: OpenSession, options: Options, diag: Diagnostics): Promise<void> {
  const { kind } = options;
  const subject = options.subject === undefined ? undefined : checkText(options.subject, 'subject');
  const body = await messageBody(options);
  if (kind === 'headline') diag.progress('a headline is never stored: an offline recipient does not get it (RFC 6121 8.5)');
  const report = new DeliveryReport();
  const stanzas = new StanzaWaiters();
  const session = await open({
    onStanza: (stanza) => {
      report.onStanza(stanza);
      stanzas.onStanza(stanza);
    },
  });
  const muc = new Muc(session, stanzas, options.timeoutMs);
  await settle(session, deliver(session, report, muc, options, { body, kind, subject }, diag.progress));
}

// Send mode: success means the server has every message, not that a socket accepted bytes.
// The confirmation is an IQ ping sent after the messages: a server handles a stream's stanzas in
// order, so its answer proves each message was routed, and any error a local recipient produced
// has arrived before it. No presence is ever sent: an available resource would make the server
// flush (and this run lose) the sender's own offline messages.
import type { Element } from '@xmpp/xml';
import { DataError, RecipientError, UnavailableError } from '../../xmpp/errors.ts';
import { fullJid } from '../../xmpp/jid.ts';
import type { OpenSession, Session } from '../../xmpp/session.ts';
import type { Diagnostics } from '../debug.ts';
import type { Options } from '../options/resolve.ts';
import { settle } from './settle.ts';

// XML 1.0 section 2.2 Char: everything else cannot be carried in a stanza at all.
export const notXmlChar = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;

/** The body exactly as it will be sent, or a DataError saying why it cannot be. */
export function checkBody(body: string): string {
  if (body === '') throw new DataError('empty message body: nothing to send');
  const bad = notXmlChar.exec(body);
  if (bad) {
    const code = bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    throw new DataError(`message body contains U+${code} at offset ${bad.index}, which XML cannot carry`);
  }
  return body;
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
  const error = stanza.getChild('error');
  const condition = error?.getChildElements().find((child) => child.name !== 'text')?.name ?? 'undefined-condition';
  return new RecipientError(recipient, condition, error?.getChildText('text') ?? undefined);
}

/**
 * Collects error replies to the messages we send. Its `onStanza` must see every incoming stanza;
 * `errors` is complete for local recipients once a later ping returned.
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

export async function sendMessages(
  session: Session,
  report: DeliveryReport,
  recipients: readonly string[],
  body: string,
  progress: (text: string) => void = () => {},
  /** XEP-0201: the conversation the messages belong to (a request's, -q). */
  thread?: string,
): Promise<void> {
  const { default: xml } = await import('@xmpp/xml');
  const { randomUUID } = await import('node:crypto');
  for (const to of recipients) {
    const id = randomUUID();
    report.sent.set(id, to);
    await session.send(xml('message', { to, type: 'chat', id }, xml('body', {}, body), thread === undefined ? null : xml('thread', {}, thread)));
  }
  progress(`sent ${recipients.length} message(s); waiting for the server to confirm`);
  await session.ping();
  const { errors } = report;
  if (errors.length === 1) throw errors[0]!;
  if (errors.length > 1) throw new UnavailableError(`${errors.length} recipients failed: ${errors.map((e) => e.message).join('; ')}`);
  progress('server confirmed every message');
}

export async function run(open: OpenSession, options: Options, diag: Diagnostics): Promise<void> {
  const body = await messageBody(options);
  const report = new DeliveryReport();
  const session = await open({ onStanza: report.onStanza });
  await settle(session, sendMessages(session, report, options.recipients.map(fullJid), body, diag.progress));
}

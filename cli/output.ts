// Turns received message stanzas into lines on stdout: text for people, JSON lines for programs.
// Results go to stdout and nowhere else; progress and errors belong to stderr.
import type { Element } from '@xmpp/xml';
import { isoUtc } from '../xmpp/utc.ts';

export interface ReceivedMessage {
  from: string;
  to: string;
  type: string;
  id: string | null;
  /** The <subject/>, or null when the message has none. */
  subject: string | null;
  body: string;
  /** ISO 8601 UTC: the XEP-0203 delay stamp when there is a valid one, else the arrival time. */
  stamp: string;
  delayed: boolean;
  /** A groupchat message's room (bare JID) and sender's nick; null for a direct message. */
  room: string | null;
  nick: string | null;
}

const NS_DELAY = 'urn:xmpp:delay';

/** The message a person would want to see, or undefined for stanzas with no body (chat states, receipts). */
export function readMessage(stanza: Element, arrivalMs: number): ReceivedMessage | undefined {
  if (stanza.name !== 'message') return undefined;
  // One pass over the children (the first of each name, as getChild finds it): a drain reads
  // every stanza.
  let body: string | null = null;
  let subject: string | null = null;
  let delay: Element | undefined;
  for (const child of stanza.children) {
    if (typeof child === 'string') continue;
    const name = child.getName();
    if (name === 'body') body ??= child.getText();
    else if (name === 'subject') subject ??= child.getText();
    else if (name === 'delay' && !delay && child.getNS() === NS_DELAY) delay = child;
  }
  if (body === null) return undefined;
  const delayedMs = delay ? Date.parse(String(delay.attrs.stamp)) : Number.NaN;
  const from = String(stanza.attrs.from ?? '');
  const groupchat = stanza.attrs.type === 'groupchat';
  const slash = from.indexOf('/');
  return {
    from,
    to: String(stanza.attrs.to ?? ''),
    type: String(stanza.attrs.type ?? 'normal'),
    id: stanza.attrs.id === undefined ? null : String(stanza.attrs.id),
    subject,
    body,
    stamp: isoUtc(Number.isNaN(delayedMs) ? arrivalMs : delayedMs),
    delayed: delay !== undefined,
    // The room itself (a service message) has no nick.
    room: groupchat ? (slash === -1 ? from : from.slice(0, slash)) : null,
    nick: groupchat && slash !== -1 ? from.slice(slash + 1) : null,
  };
}

export function formatJson(message: ReceivedMessage): string {
  const { from, to, type, id, subject, body, stamp, delayed, room, nick } = message;
  return `${JSON.stringify({ from, to, type, id, subject, body, stamp, delayed, room, nick })}\n`;
}

/**
 * `2026-01-02 03:04:05Z alice@example.org/phone: first line`, further body lines indented, so a
 * multi-line body cannot be mistaken for another message. A carriage return could overwrite
 * what a terminal shows, so it becomes a line break too. Every kind but chat is marked
 * (` [headline]`), and a subject follows as a JSON string, whose escapes keep it on its line.
 * `who` is what stands after the time: the sender, unless the caller says more (history).
 */
export function formatText(message: ReceivedMessage, who = message.from): string {
  const time = message.stamp.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  const kind = message.type === 'chat' ? '' : ` [${message.type}]`;
  const subject = message.subject === null ? '' : ` ${JSON.stringify(message.subject)}`;
  const lines = message.body.split(/\r\n|\r|\n/);
  return `${time} ${who}${kind}${subject}: ${lines.join('\n    ')}\n`;
}

const formatters = { text: formatText, json: formatJson };

/** Resolves once the line has been handed to the kernel: only then may the server forget the message. */
export function writeOut(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(text, (error) => (error ? reject(error) : resolve()));
  });
}

/** Writes each message to `stream` in `format`; resolves once the kernel has the line. */
export function printer(stream: NodeJS.WritableStream, format: keyof typeof formatters): (message: ReceivedMessage) => Promise<void> {
  return (message) => writeOut(stream, formatters[format](message));
}

/** Where a stream of received messages goes, a line each. */
export interface Printer {
  /** Resolves once the kernel has the line. */
  print(message: ReceivedMessage): Promise<void>;
  /** While the output waits for a slow reader: resolves once it has caught up. Print no more until then. */
  readonly congested?: Promise<void> | undefined;
}

/** A write goes out at the latest once this many characters wait. */
const flushAt = 16_384;

/**
 * Lines for a stream of messages (unread, continuous): those printed in one turn of the event loop
 * (all that one read of the socket brought) go out in one write, and each line's promise, the same
 * for all of them, resolves once the kernel has taken that write. While a write waits for a slow
 * reader, `congested` says until when.
 */
export class LinePrinter implements Printer {
  private readonly format: (message: ReceivedMessage) => string;
  private lines: string[] = [];
  private chars = 0;
  private written: Promise<void> | undefined;
  private settle: (error?: Error | null) => void = () => {};
  congested: Promise<void> | undefined;

  constructor(
    private readonly stream: NodeJS.WritableStream & { readonly writableLength: number },
    format: keyof typeof formatters,
  ) {
    this.format = formatters[format];
  }

  print(message: ReceivedMessage): Promise<void> {
    const line = this.format(message);
    this.lines.push(line);
    this.chars += line.length;
    const written = (this.written ??= this.nextWrite());
    if (this.chars >= flushAt) this.flush();
    return written;
  }

  private nextWrite(): Promise<void> {
    const written = new Promise<void>((resolve, reject) => {
      this.settle = (error) => (error ? reject(error) : resolve());
    });
    setImmediate(() => {
      if (this.written === written) this.flush();
    });
    return written;
  }

  private flush(): void {
    const { lines, written, settle } = this;
    this.lines = [];
    this.chars = 0;
    this.written = undefined;
    this.stream.write(lines.length === 1 ? lines[0]! : lines.join(''), settle);
    // Written at once unless the kernel's buffer (a pipe's 64 kB) is full.
    if (this.stream.writableLength > 0) {
      const congested = written!.finally(() => {
        if (this.congested === congested) this.congested = undefined;
      });
      congested.catch(() => {});
      this.congested = congested;
    }
  }
}

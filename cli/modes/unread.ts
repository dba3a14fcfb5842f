// Show-unread mode: print every offline message exactly once and stop as soon as the server is
// done. The end is the server's own marker, never a pause (-w adds a quiet window, default 0):
//  - with stream management (Prosody, ejabberd): initial presence, then a ping whose reply follows
//    the offline flush (each server flushes while it handles the presence, before it reads the
//    ping: ejabberd routes the stored messages from the session's own process, Prosody from the
//    session's stanza queue). A message arriving after the reply is a live one. Only handled
//    stanzas are acknowledged, so whatever was not printed goes back to offline storage when the
//    session ends, however it ends (ejabberd: resend_on_timeout: if_offline; Prosody: smacks).
//  - without it, XEP-0013 where offered: list the stored messages (disco#items), "view" them (the
//    view IQ's result follows the messages), then remove by node what was printed. No presence is
//    sent, so nothing is flushed and nothing is lost if we die. Second choice because ejabberd
//    23.01 answers a view or remove of n items in time growing with n squared (1,000 waiting took
//    30-75 s against 0.2 s for the presence flush), and routes a <fetch/> to the bare JID, which
//    drops it while this resource is unavailable.
import type { Element } from '@xmpp/xml';
import { TimeoutError } from '../../xmpp/errors.ts';
import type { InboundHooks, OpenSession, Pending, Session } from '../../xmpp/session.ts';
import type { Diagnostics } from '../debug.ts';
import type { Options } from '../options/resolve.ts';
import { LinePrinter, readMessage, type Printer } from '../output.ts';
import { settle } from './settle.ts';

export const NS_OFFLINE = 'http://jabber.org/protocol/offline';

/**
 * Receives stanzas for a session: prints messages and remembers which XEP-0013 items are done. A
 * message counts as handled once its line is written: the handler hands back a Pending for that
 * (the same one for all the lines of one write), and while the output waits for a slow reader it
 * takes no more messages, so that the session stops reading the socket.
 */
export class Inbox {
  /** XEP-0013 nodes of messages that were printed (or had nothing to print): safe to remove. */
  private doneNodes: string[] = [];
  lastArrival = 0;
  /** Messages handed to the printer. */
  printed = 0;
  private lastWrite: Promise<void> | undefined;
  private lastPending: Pending = { handled: Promise.resolve(true) };

  constructor(
    private readonly printer: Printer,
    private readonly now: () => number = Date.now,
  ) {}

  onStanza = (stanza: Element): undefined | Pending | Promise<undefined | Pending> => {
    if (stanza.name !== 'message') return undefined;
    this.lastArrival = this.now();
    const { congested } = this.printer;
    return congested ? congested.then(() => this.take(stanza)) : this.take(stanza);
  };

  private take(stanza: Element): undefined | Pending {
    const message = readMessage(stanza, this.lastArrival);
    const node = stanza.getChild('offline', NS_OFFLINE)?.getChild('item')?.attrs.node;
    if (!message) {
      if (node !== undefined) this.doneNodes.push(node);
      return undefined;
    }
    const written = this.printer.print(message);
    this.printed += 1;
    if (node !== undefined) written.then(() => this.doneNodes.push(node), () => {});
    if (written !== this.lastWrite) {
      this.lastWrite = written;
      this.lastPending = { handled: written.then(() => true) };
    }
    return this.lastPending;
  }

  /** Hands over the nodes to remove; each is handed over once. */
  takeDoneNodes(): string[] {
    const nodes = this.doneNodes;
    this.doneNodes = [];
    return nodes;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until no message has arrived for `quietMs`, but never longer than `limitMs` in all. */
export async function quietWindow(inbox: Inbox, quietMs: number, limitMs: number, now: () => number = Date.now): Promise<void> {
  const start = now();
  let since = Math.max(inbox.lastArrival, start);
  for (let left = since + quietMs - now(); left > 0; left = since + quietMs - now()) {
    if (now() - start >= limitMs) throw new TimeoutError(`messages kept arriving for ${limitMs / 1000} s`);
    await sleep(Math.min(left, limitMs));
    since = Math.max(inbox.lastArrival, start);
  }
}

async function xml() {
  return (await import('@xmpp/xml')).default;
}

const NS_DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';

/** A stored message as XEP-0013 lists it: its node, and its sender (the item's name) where given. */
export interface OfflineHeader {
  node: string;
  sender: string | undefined;
}

/** XEP-0013 2.3: the headers of the stored messages (disco#items, node=offline); takes nothing. */
export async function offlineHeaders(session: Session): Promise<OfflineHeader[]> {
  const x = await xml();
  const reply = await session.request(x('iq', { type: 'get' }, x('query', { xmlns: NS_DISCO_ITEMS, node: NS_OFFLINE })));
  return (reply.getChild('query', NS_DISCO_ITEMS)?.getChildren('item') ?? []).flatMap(({ attrs }) =>
    attrs.node === undefined ? [] : [{ node: String(attrs.node), sender: attrs.name === undefined ? undefined : String(attrs.name) }],
  );
}

/** XEP-0013 2.3/2.4: list the stored messages, have them sent here, remove those now handled. */
export async function fetchOffline(session: Session, inbox: Inbox): Promise<void> {
  const x = await xml();
  const nodes = (await offlineHeaders(session)).map((header) => header.node);
  if (nodes.length === 0) return;
  const items = nodes.map((node) => x('item', { action: 'view', node }));
  await session.request(x('iq', { type: 'get' }, x('offline', { xmlns: NS_OFFLINE }, ...items)));
  await session.drain();
  await removeOffline(session, inbox);
}

async function removeOffline(session: Session, inbox: Inbox): Promise<void> {
  const nodes = inbox.takeDoneNodes();
  if (nodes.length === 0) return;
  const x = await xml();
  const items = nodes.map((node) => x('item', { action: 'remove', node }));
  await session.request(x('iq', { type: 'set' }, x('offline', { xmlns: NS_OFFLINE }, ...items)));
}

/**
 * Gets the offline messages delivered and printed; returns once the server's end marker and the
 * quiet window have passed. With `stayAvailable` the session ends up available for live messages.
 */
export async function catchUp(
  session: Session,
  inbox: Inbox,
  options: { quietMs: number; timeoutMs: number; stayAvailable: boolean; progress?: (text: string) => void },
): Promise<void> {
  const progress = options.progress ?? (() => {});
  const x = await xml();
  const streamManagement = await session.enableStreamManagement();
  if (!streamManagement && (await session.hasFeature(NS_OFFLINE))) {
    progress('fetching offline messages (XEP-0013)');
    await fetchOffline(session, inbox);
    if (options.stayAvailable) {
      await session.send(x('presence'));
      // XEP-0013 servers do not flush on presence once we fetched: collect what arrived in between.
      await fetchOffline(session, inbox);
    } else {
      await quietWindow(inbox, options.quietMs, options.timeoutMs);
    }
  } else {
    if (!streamManagement) {
      progress('no XEP-0013 and no stream management: messages the server flushes before they are printed can be lost');
    }
    progress('sending presence; the ping reply marks the end of the offline flush');
    await session.send(x('presence'));
    await session.ping();
    await session.drain();
    if (!options.stayAvailable) await quietWindow(inbox, options.quietMs, options.timeoutMs);
  }
  await session.drain();
  progress(`${inbox.printed} message(s) shown`);
}

/**
 * How the receiving modes open their sessions: messages are acknowledged as soon as they are
 * printed, so a run killed mid-way leaves only the unprinted ones (and at most one batch in flight)
 * for the next run, not the whole backlog again.
 */
export const receiving = (inbox: Inbox): InboundHooks => ({ acknowledgeEach: true, onStanza: inbox.onStanza });

export async function run(open: OpenSession, options: Options, diag: Diagnostics): Promise<void> {
  const inbox = new Inbox(new LinePrinter(process.stdout, options.output));
  const session = await open(receiving(inbox));
  const { quietMs, timeoutMs } = options;
  await settle(session, catchUp(session, inbox, { quietMs, timeoutMs, progress: diag.progress, stayAvailable: false }));
}

// XEP-0313 Message Archive Management (urn:xmpp:mam:2), paged with XEP-0059 result set management.
// An archive is read a page at a time and each page is handled to the end before the next one is
// asked for: however long the archive, at most one page is in memory (or on the way), and all that
// is kept between pages is the cursor (the last archive id). Also the archiving preferences.
import { randomUUID } from 'node:crypto';
import xml, { type Element } from '@xmpp/xml';
import { NotSupportedError, UnavailableError } from './errors.ts';
import type { Session } from './session.ts';
import { isoUtc } from './utc.ts';

export const NS_MAM = 'urn:xmpp:mam:2';
const NS_RSM = 'http://jabber.org/protocol/rsm';
const NS_FORWARD = 'urn:xmpp:forward:0';
const NS_DELAY = 'urn:xmpp:delay';
const NS_DATA = 'jabber:x:data';

/** The page size asked for; servers may cap it lower (Prosody 0.12 at 50 by default). */
export const pageSize = 250;

export interface ArchiveQuery {
  /** A room's bare JID: its archive, asked of the room. Without it, the account's own. */
  room?: string;
  with?: string;
  start?: Date;
  end?: Date;
  /** At most this many messages, the oldest that match. */
  max?: number;
}

export interface ArchivedMessage {
  /** The archive's id for it (<result id>), the cursor XEP-0059 pages by. */
  id: string;
  /** When it was archived (the forwarded <delay stamp>); undefined when missing or unreadable. */
  stamp: Date | undefined;
  /** The message as archived. */
  message: Element;
}

const bareOf = (jid: string) => jid.split('/', 1)[0]!;

/** Ends with a NotSupportedError (69) unless `jid`'s disco#info lists MAM: the account's bare JID, or a room. */
export async function requireArchive(session: Session, jid: string): Promise<void> {
  if (!(await session.hasFeature(NS_MAM, jid))) throw new NotSupportedError(`${jid} offers no message archive (XEP-0313 ${NS_MAM})`);
}

/** XEP-0082 without the milliseconds when there are none: the form servers parse most surely. */
const timestamp = (date: Date) => isoUtc(date.getTime()).replace('.000Z', 'Z');

function field(name: string, value: string): Element {
  return xml('field', { var: name }, xml('value', {}, value));
}

function pageRequest(query: ArchiveQuery, queryId: string, max: number, after: string | undefined): Element {
  const fields = [
    xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, NS_MAM)),
    query.with === undefined ? null : field('with', query.with),
    query.start === undefined ? null : field('start', timestamp(query.start)),
    query.end === undefined ? null : field('end', timestamp(query.end)),
  ];
  const set = xml('set', { xmlns: NS_RSM }, xml('max', {}, String(max)), after === undefined ? null : xml('after', {}, after));
  const form = xml('x', { xmlns: NS_DATA, type: 'submit' }, ...fields);
  return xml('iq', { type: 'set', to: query.room }, xml('query', { xmlns: NS_MAM, queryid: queryId }, form, set));
}

interface Page {
  queryId: string;
  /** Who may send its results: the room, or (own archive) our bare JID or our server unnamed. */
  from: string;
  own: boolean;
}

/** One result of the page being read, or undefined for any other stanza (or a forged result). */
function readResult(stanza: Element, page: Page): ArchivedMessage | undefined {
  if (stanza.name !== 'message') return undefined;
  const from = stanza.attrs.from === undefined ? undefined : bareOf(String(stanza.attrs.from));
  if (from === undefined ? !page.own : from !== page.from) return undefined;
  const result = stanza.getChild('result', NS_MAM);
  if (result?.attrs.queryid !== page.queryId || result.attrs.id === undefined) return undefined;
  const forwarded = result.getChild('forwarded', NS_FORWARD);
  const message = forwarded?.getChild('message');
  if (!message) return undefined;
  const stamp = new Date(String(forwarded!.getChild('delay', NS_DELAY)?.attrs.stamp));
  return { id: String(result.attrs.id), stamp: Number.isNaN(stamp.getTime()) ? undefined : stamp, message };
}

/**
 * Reads an archive through a session whose incoming stanzas go to `onStanza`; each result is given
 * to `handle`, in the archive's order (oldest first), and the next page is asked for only once
 * `handle` has finished with every result of the previous one.
 */
export class ArchiveReader {
  private page: Page | undefined;
  private left = 0;
  /** Results handled so far. */
  handled = 0;

  constructor(private readonly handle: (item: ArchivedMessage) => Promise<void>) {}

  onStanza = async (stanza: Element): Promise<void> => {
    const item = this.page && this.left > 0 ? readResult(stanza, this.page) : undefined;
    if (!item) return;
    this.left -= 1;
    await this.handle(item);
    this.handled += 1;
  };

  /** Pages until the server says the result set is complete (or gives no cursor), or `max` are handled. */
  async read(session: Session, query: ArchiveQuery): Promise<void> {
    const own = query.room === undefined;
    this.left = query.max ?? Number.POSITIVE_INFINITY;
    let after: string | undefined;
    for (;;) {
      this.page = { queryId: randomUUID(), from: query.room ?? bareOf(session.jid), own };
      const reply = await session.request(pageRequest(query, this.page.queryId, Math.min(pageSize, this.left), after));
      // The results came before the reply (a stream is ordered); drain waits until they are handled.
      await session.drain();
      const fin = reply.getChild('fin', NS_MAM);
      const last = fin?.getChild('set', NS_RSM)?.getChildText('last') ?? undefined;
      if (fin?.attrs.complete === 'true' || last === undefined || this.left <= 0) return;
      // A server that ignores <after/> would send the same page for ever.
      if (last === after) throw new UnavailableError(`${this.page.from}: the archive sent the same page again (it ignored the paging cursor)`);
      after = last;
    }
  }
}

/**
 * Sets the account's archiving default (always, never or roster), keeping its always and never
 * lists (a prefs set replaces all three); returns the default the server now applies.
 */
export async function setArchiveDefault(session: Session, value: string): Promise<string> {
  const get = async () => (await session.request(xml('iq', { type: 'get' }, xml('prefs', { xmlns: NS_MAM })))).getChild('prefs', NS_MAM);
  const current = await get();
  const lists = ['always', 'never'].map((name) => current?.getChild(name) ?? xml(name));
  const reply = await session.request(xml('iq', { type: 'set' }, xml('prefs', { xmlns: NS_MAM, default: value }, ...lists)));
  // The reply carries the preferences now in force (XEP-0313 8); ask again if it does not.
  const applied = (reply.getChild('prefs', NS_MAM) ?? (await get()))?.attrs.default;
  if (applied === undefined) throw new UnavailableError('the server answered the archiving preferences without a default');
  return String(applied);
}

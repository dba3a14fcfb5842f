// IQ handlers for the fake server (fake-xmpp-server.ts) that the history, peek and archiving tests
// need: disco#info of a JID, a XEP-0313 archive paged with XEP-0059, the archiving preferences and
// XEP-0013's header list. Each records what it was asked, so a test can check the client's side.
import type { Element } from '@xmpp/xml';
import { openSession, type InboundHooks, type Session } from '../../xmpp/session.ts';
import { PASSWORD, type FakeServer, type IqHandler } from './fake-xmpp-server.ts';

export const ACCOUNT = 'alice@example.org';
const NS_MAM = 'urn:xmpp:mam:2';
const NS_RSM = 'http://jabber.org/protocol/rsm';
const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const NS_DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';
export const NS_OFFLINE = 'http://jabber.org/protocol/offline';

/** A login as alice; the fixture certificate is self-signed, and trust is not what these tests are about. */
export const login = (server: FakeServer, hooks: InboundHooks = {}): Promise<Session> =>
  openSession({ jid: ACCOUNT, password: PASSWORD, server: { host: '127.0.0.1', port: server.port }, insecure: true, timeoutMs: 3000, ...hooks });

/** disco#info of `jid` lists `features`. */
export const discoInfo = (jid: string, features: readonly string[]): IqHandler => (iq) => {
  if (iq.attrs.type !== 'get' || iq.attrs.to !== jid || !iq.getChild('query', NS_DISCO_INFO)) return undefined;
  const vars = features.map((feature) => `<feature var='${feature}'/>`).join('');
  return `<iq type='result' id='${iq.attrs.id}' from='${jid}'><query xmlns='${NS_DISCO_INFO}'><identity category='account' type='registered'/>${vars}</query></iq>`;
};

export interface Archived {
  id: string;
  stamp: string;
  from: string;
  to: string;
  body: string;
  type?: string;
}

/** `count` archived messages a1..aN, one a minute from 2026-12-01T00:00Z, alternately from bob and to bob. */
export function archived(count: number): Archived[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `a${i + 1}`,
    stamp: new Date(Date.UTC(2026, 11, 1, 0, i)).toISOString(),
    from: i % 2 ? `${ACCOUNT}/res` : 'bob@example.org/phone',
    to: i % 2 ? 'bob@example.org' : ACCOUNT,
    body: `message ${i + 1}`,
  }));
}

export interface ArchiveQuery {
  to?: string;
  max: number;
  after?: string;
  fields: Record<string, string>;
}

export interface FakeArchive {
  handler: IqHandler;
  /** Every page asked for, in order. */
  queries: ArchiveQuery[];
  /** Called as each query arrives: a test's clock for "asked only after printing". */
  onQuery?: (query: ArchiveQuery) => void;
}

interface ArchiveBehaviour {
  /** The largest page the server sends, whatever is asked (Prosody 0.12: 50). */
  cap?: number;
  /** Whether the last page says complete='true' (a server may never say it). */
  saysComplete?: boolean;
  /** Who sends the results: the account's bare JID, or a room's. */
  from?: string;
  /** Ignore <after/>: every query gets the first page. */
  ignoresCursor?: boolean;
}

function readQuery(iq: Element, query: Element): ArchiveQuery {
  const fields = Object.fromEntries((query.getChild('x')?.getChildren('field') ?? []).map((f) => [String(f.attrs.var), f.getChildText('value') ?? '']));
  const set = query.getChild('set', NS_RSM);
  return { to: iq.attrs.to, max: Number(set?.getChildText('max') ?? 'NaN'), after: set?.getChildText('after') ?? undefined, fields };
}

const matches = (entry: Archived, fields: Record<string, string>) =>
  (!fields.with || entry.from.startsWith(fields.with) || entry.to.startsWith(fields.with)) &&
  (!fields.start || entry.stamp >= new Date(fields.start).toISOString()) &&
  (!fields.end || entry.stamp <= new Date(fields.end).toISOString());

const result = (entry: Archived, queryId: string, from: string) =>
  `<message to='${ACCOUNT}/res' from='${from}'><result xmlns='${NS_MAM}' queryid='${queryId}' id='${entry.id}'>` +
  `<forwarded xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' stamp='${entry.stamp}'/>` +
  `<message xmlns='jabber:client' from='${entry.from}' to='${entry.to}' type='${entry.type ?? 'chat'}'><body>${entry.body}</body></message>` +
  `</forwarded></result></message>`;

/** A MAM archive holding `entries` (oldest first), paged as XEP-0059 says: the page after `after`, at most `max`. */
export function fakeArchive(entries: readonly Archived[], behaviour: ArchiveBehaviour = {}): FakeArchive {
  const { cap = 250, saysComplete = true, from = ACCOUNT, ignoresCursor = false } = behaviour;
  const archive: FakeArchive = {
    queries: [],
    handler: (iq) => {
      const element = iq.getChild('query', NS_MAM);
      if (iq.attrs.type !== 'set' || !element) return undefined;
      const query = readQuery(iq, element);
      archive.queries.push(query);
      archive.onQuery?.(query);
      const matching = entries.filter((entry) => matches(entry, query.fields));
      const first = query.after === undefined || ignoresCursor ? 0 : matching.findIndex((entry) => entry.id === query.after) + 1;
      const page = matching.slice(first, first + Math.min(query.max, cap));
      const complete = saysComplete && first + page.length >= matching.length ? " complete='true'" : '';
      const ends = page.length ? `<first>${page[0]!.id}</first><last>${page.at(-1)!.id}</last>` : '';
      const fin = `<fin xmlns='${NS_MAM}'${complete}><set xmlns='${NS_RSM}'>${ends}<count>${matching.length}</count></set></fin>`;
      return `${page.map((entry) => result(entry, String(element.attrs.queryid), from)).join('')}<iq type='result' id='${iq.attrs.id}'>${fin}</iq>`;
    },
  };
  return archive;
}

/** The archiving preferences: a get answers them, a set replaces them and answers the new ones. */
export function fakePrefs(initial: string): { handler: IqHandler; sets: string[] } {
  let prefs = initial;
  const sets: string[] = [];
  const handler: IqHandler = (iq) => {
    const element = iq.getChild('prefs', NS_MAM);
    if (!element) return undefined;
    if (iq.attrs.type === 'set') {
      prefs = String(element);
      sets.push(prefs);
    }
    return `<iq type='result' id='${iq.attrs.id}'>${prefs}</iq>`;
  };
  return { handler, sets };
}

/** XEP-0013's header list: one item per stored message, named after its sender. */
export const offlineHeaders = (senders: readonly string[]): IqHandler => (iq) => {
  if (iq.getChild('query', NS_DISCO_ITEMS)?.attrs.node !== NS_OFFLINE) return undefined;
  const items = senders.map((sender, i) => `<item jid='${ACCOUNT}' node='2026-12-01T00:00:0${i}.000Z' name='${sender}'/>`).join('');
  return `<iq type='result' id='${iq.attrs.id}'><query xmlns='${NS_DISCO_ITEMS}' node='${NS_OFFLINE}'>${items}</query></iq>`;
};

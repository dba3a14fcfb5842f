// Multi-user chat (XEP-0045) for a client that joins rooms to speak or to listen, never to make
// one: a room is asked what it is (disco#info) before any presence goes to it, because a join of a
// room that does not exist creates it on both servers. Joins use directed presence only, which
// does not make our resource available: the account's own offline messages stay stored.
import { randomUUID } from 'node:crypto';
import xml, { type Element } from '@xmpp/xml';
import {
  NickConflictError,
  RecipientError,
  RoomError,
  RoomForbiddenError,
  stanzaErrorOf,
  TimeoutError,
} from './errors.ts';
import { NS_PING } from './login.ts';
import type { Session } from './session.ts';
import type { StanzaWaiters } from './stanza-waiters.ts';
import { isoUtc } from './utc.ts';

export const NS_MUC = 'http://jabber.org/protocol/muc';
const NS_MUC_USER = `${NS_MUC}#user`;
const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
/** XEP-0359: the origin-id we add to what we say, and the stanza-id a room stamps on what it relays. */
export const NS_SID = 'urn:xmpp:sid:0';

export interface RoomInfo {
  passwordProtected: boolean;
}

/** What a join asks the room to replay: nothing (a first join), or what was said since a moment (a rejoin). */
export type History = { maxstanzas: 0 } | { since: Date };

export interface JoinRequest {
  /** The room's bare JID. */
  room: string;
  nick: string;
  password?: string;
  history: History;
}

/** Our place in a room; `nick` is the one the room gave us (it may rewrite the one we asked for). */
export interface Occupancy {
  room: string;
  nick: string;
}

type RoomErrorClass = new (room: string, condition: string, why: string, text?: string) => RoomError;
/** What each stanza error condition means for a room; '' stands for every other condition. */
type Refusals = Record<string, readonly [RoomErrorClass, string]>;

const notFound = { 'item-not-found': [RoomError, 'no such room'], 'remote-server-not-found': [RoomError, "no such room: its service's server cannot be reached"] } as const;

const discoRefusals: Refusals = { ...notFound, '': [RoomError, 'did not say what it is'] };
const joinRefusals: Refusals = {
  ...notFound,
  // Both servers answer a join of a room that vanished since disco#info with not-allowed when
  // clients may not create rooms.
  'not-allowed': [RoomError, 'no such room'],
  'registration-required': [RoomForbiddenError, 'not a member of the room'],
  forbidden: [RoomForbiddenError, 'banned from the room'],
  'not-authorized': [RoomForbiddenError, 'wrong or missing room password'],
  conflict: [NickConflictError, 'nick in use in the room by someone else'],
  'service-unavailable': [RoomError, 'the room is full or unavailable'],
  '': [RoomError, 'refused to let us in'],
};
const messageRefusals: Refusals = {
  ...notFound,
  forbidden: [RoomForbiddenError, 'not allowed to speak in the room'],
  'not-acceptable': [RoomError, 'not an occupant of the room'],
  '': [RoomError, 'refused the message'],
};

/** A room's stanza error as the failure a caller tells apart; the room's server timing out is a time-out. */
function refusal(room: string, error: { condition: string; text?: string }, refusals: Refusals): Error {
  if (error.condition === 'remote-server-timeout') return new TimeoutError(`${room}: its server did not answer ours in time (remote-server-timeout)`);
  const [Refusal, why] = refusals[error.condition] ?? refusals['']!;
  return new Refusal(room, error.condition, why, error.text);
}

const bareOf = (jid: unknown) => String(jid ?? '').split('/')[0]!.toLowerCase();
const resourceOf = (jid: unknown) => String(jid ?? '').split('/').slice(1).join('/');
const fromRoom = (stanza: Element, room: string) => bareOf(stanza.attrs.from) === room.toLowerCase();

/** XEP-0045 status codes of a presence or message from a room (110: this is about you). */
function statusCodes(stanza: Element): string[] {
  return (stanza.getChild('x', NS_MUC_USER)?.getChildren('status') ?? []).map((status) => String(status.attrs.code));
}

/** Our own presence in the room: status 110, or from our nick for a room that does not send 110. */
function isSelfPresence(stanza: Element, nick: string): boolean {
  if (stanza.attrs.type === 'unavailable') return false;
  return statusCodes(stanza).includes('110') || resourceOf(stanza.attrs.from) === nick;
}

/** The room relaying our message: by its id, or by its origin-id where the room gave it a new id. */
function isReflection(stanza: Element, id: string): boolean {
  return stanza.attrs.type === 'groupchat' && (stanza.attrs.id === id || stanza.getChild('origin-id', NS_SID)?.attrs.id === id);
}

function historyElement(history: History): Element {
  if ('since' in history) return xml('history', { since: isoUtc(history.since.getTime()).replace(/\.\d+Z$/, 'Z') });
  return xml('history', { maxstanzas: String(history.maxstanzas) });
}

/** One session's view of its rooms; `stanzas` must see every stanza the session receives. */
export class Muc {
  constructor(
    private readonly session: Session,
    private readonly stanzas: StanzaWaiters,
    private readonly timeoutMs: number,
  ) {}

  /** disco#info of the room: whether it exists and is a room, and whether it wants a password. */
  async discover(room: string): Promise<RoomInfo> {
    let reply: Element;
    try {
      reply = await this.session.request(xml('iq', { type: 'get', to: room }, xml('query', { xmlns: NS_DISCO_INFO })));
    } catch (error) {
      throw error instanceof RecipientError ? refusal(room, error, discoRefusals) : error;
    }
    const query = reply.getChild('query', NS_DISCO_INFO);
    const features = new Set(query?.getChildren('feature').map((feature) => String(feature.attrs.var)) ?? []);
    // An account or a server answers disco#info too.
    if (!features.has(NS_MUC)) throw new RoomError(room, 'its disco#info lists no MUC feature', 'not a room');
    return { passwordProtected: features.has('muc_passwordprotected') };
  }

  /** Enters the room; resolves once the room has sent our own presence, which comes after everyone else's. */
  async join(request: JoinRequest): Promise<Occupancy> {
    const { room, nick, password } = request;
    const x = xml('x', { xmlns: NS_MUC }, historyElement(request.history), password === undefined ? null : xml('password', {}, password));
    const answer = await this.answer(
      (stanza) => stanza.name === 'presence' && fromRoom(stanza, room) && (stanza.attrs.type === 'error' || isSelfPresence(stanza, nick)),
      xml('presence', { to: `${room}/${nick}` }, x),
      `waiting for ${room} to let us in`,
    );
    if (answer.attrs.type === 'error') throw refusal(room, stanzaErrorOf(answer), joinRefusals);
    return { room, nick: resourceOf(answer.attrs.from) || nick };
  }

  /** Says `body` in the room; resolves once the room has relayed it back to us, so to everyone in it. */
  async say(occupancy: Occupancy, body: string): Promise<void> {
    const { room } = occupancy;
    const id = randomUUID();
    const answer = await this.answer(
      (stanza) => stanza.name === 'message' && fromRoom(stanza, room) && ((stanza.attrs.type === 'error' && stanza.attrs.id === id) || isReflection(stanza, id)),
      xml('message', { to: room, type: 'groupchat', id }, xml('body', {}, body), xml('origin-id', { xmlns: NS_SID, id })),
      `waiting for ${room} to relay our message`,
    );
    if (answer.attrs.type === 'error') throw refusal(room, stanzaErrorOf(answer), messageRefusals);
  }

  /** Best effort: a session that ends takes us out of every room anyway. */
  async leave(occupancy: Occupancy): Promise<void> {
    await this.session.send(xml('presence', { to: `${occupancy.room}/${occupancy.nick}`, type: 'unavailable' })).catch(() => {});
  }

  /**
   * XEP-0410 self-ping: false once the room no longer has us, undefined when it did not answer in
   * time (no verdict: the connection's own keep-alive judges the link).
   */
  async stillJoined(occupancy: Occupancy): Promise<boolean | undefined> {
    try {
      await this.session.request(xml('iq', { type: 'get', to: `${occupancy.room}/${occupancy.nick}` }, xml('ping', { xmlns: NS_PING })));
      return true;
    } catch (error) {
      if (error instanceof TimeoutError) return undefined;
      if (!(error instanceof RecipientError)) throw error;
      // These two mean the ping reached a client through the room. Any other error means out,
      // item-not-found included (XEP-0410 reads it as our nick changed by another client of ours,
      // which a room rsxcc follows does not have; a restarted room answers it too).
      return error.condition === 'service-unavailable' || error.condition === 'feature-not-implemented';
    }
  }

  private answer(match: (stanza: Element) => boolean, stanza: Element, waitingFor: string): Promise<Element> {
    const { session } = this;
    return this.stanzas.waitFor(match, () => session.send(stanza), { ms: this.timeoutMs, waitingFor, ended: session.ended });
  }
}

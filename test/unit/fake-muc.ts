// A fake multi-user chat room and a fake remote domain, as routes of the fake server
// (fake-xmpp-server.ts): each answers as Prosody and ejabberd answer in the case a test sets up.
import type { Element } from '@xmpp/xml';
import type { Route } from './fake-xmpp-server.ts';

const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const NS_MUC = 'http://jabber.org/protocol/muc';
const NS_SID = 'urn:xmpp:sid:0';
/** The full JID the fake server binds for alice. */
export const ME = 'alice@example.org/res';

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;');
const errorOf = (condition: string, type = 'cancel') => `<error type='${type}'><${condition} xmlns='${NS_STANZAS}'/></error>`;
const bareOf = (jid: unknown) => String(jid ?? '').split('/')[0]!;
const nickOf = (jid: unknown) => String(jid ?? '').split('/').slice(1).join('/');

/** Routes in turn: the first that handles a stanza has it. */
export const routes = (...all: Route[]): Route => (stanza, send) => all.some((route) => route(stanza, send));

export interface RoomBehaviour {
  /** Refuse every join with this condition (registration-required, forbidden, conflict ...). */
  refuseJoin?: string;
  /** Refuse every message with this condition (forbidden: no voice). */
  refuseMessage?: string;
  /** Password-protected: a join without this password is not-authorized. */
  password?: string;
  /** How our messages come back: as sent, under an id of the room's (origin-id kept), or never. */
  relay?: 'as-sent' | 'new-id' | 'never';
  /** The nick the room gives us, whatever we asked for (status 210). */
  rewriteNick?: string;
  /** Stamp what it relays with a XEP-0359 stanza-id of its own. */
  stanzaIds?: boolean;
}

interface Said {
  xml: (to: string) => string;
  at: Date;
}

export class FakeRoom {
  /** Every join presence, in order. */
  readonly joins: Element[] = [];
  /** Every message the room relayed or said, as it first sent it. */
  readonly sent: string[] = [];
  /** Our nick while the room has us. */
  occupant: string | undefined;
  private readonly said: Said[] = [];
  private serial = 0;
  private push: ((text: string) => void) | undefined;

  constructor(
    readonly jid: string,
    public behaviour: RoomBehaviour = {},
  ) {}

  route: Route = (stanza, send) => {
    if (bareOf(stanza.attrs.to) !== this.jid) return false;
    this.push = send;
    if (stanza.name === 'iq') this.onIq(stanza, send);
    else if (stanza.name === 'presence') this.onPresence(stanza, send);
    else if (stanza.name === 'message') this.onMessage(stanza, send);
    return true;
  };

  /** Another occupant speaks: archived, and sent to us while we are in. */
  say(nick: string, body: string): void {
    const id = `said-${++this.serial}`;
    this.archive(`${this.jid}/${nick}`, id, `<body>${escape(body)}</body>`);
  }

  /** The room loses us without a word, as a restarted room or a killed cluster node does. */
  forget(): void {
    this.occupant = undefined;
  }

  private onIq(iq: Element, send: (text: string) => void): void {
    const { id, type } = iq.attrs;
    const reply = (inner: string, kind = 'result') => send(`<iq type='${kind}' id='${id}' from='${escape(String(iq.attrs.to))}' to='${ME}'>${inner}</iq>`);
    if (type !== 'get') return reply(errorOf('bad-request', 'modify'), 'error');
    if (iq.getChild('ping')) return this.occupant !== undefined && nickOf(iq.attrs.to) === this.occupant ? reply('') : reply(errorOf('not-acceptable'), 'error');
    const features = [NS_MUC, 'muc_persistent', 'muc_membersonly', ...(this.behaviour.password ? ['muc_passwordprotected'] : [])];
    reply(`<query xmlns='http://jabber.org/protocol/disco#info'><identity category='conference' type='text' name='lab'/>${features.map((f) => `<feature var='${f}'/>`).join('')}</query>`);
  }

  private onPresence(presence: Element, send: (text: string) => void): void {
    const asked = nickOf(presence.attrs.to);
    if (presence.attrs.type === 'unavailable') {
      this.occupant = undefined;
      return send(`<presence from='${this.jid}/${asked}' to='${ME}' type='unavailable'><x xmlns='${NS_MUC}#user'><status code='110'/></x></presence>`);
    }
    this.joins.push(presence);
    const x = presence.getChild('x', NS_MUC);
    const { refuseJoin, password, rewriteNick } = this.behaviour;
    const refusal = refuseJoin ?? (password !== undefined && x?.getChildText('password') !== password ? 'not-authorized' : undefined);
    if (refusal) return send(`<presence from='${this.jid}/${asked}' to='${ME}' type='error'>${errorOf(refusal, 'auth')}</presence>`);
    const nick = rewriteNick ?? asked;
    this.occupant = nick;
    const codes = ['110', ...(rewriteNick ? ['210'] : [])].map((code) => `<status code='${code}'/>`).join('');
    // Everyone else's presence comes first, then our own, then the history.
    send(`<presence from='${this.jid}/bob' to='${ME}'><x xmlns='${NS_MUC}#user'><item affiliation='member' role='participant'/></x></presence>`);
    send(`<presence from='${this.jid}/${nick}' to='${ME}'><x xmlns='${NS_MUC}#user'><item affiliation='member' role='participant'/>${codes}</x></presence>`);
    const since = x?.getChild('history')?.attrs.since;
    if (since !== undefined) this.replay(new Date(String(since)), send);
  }

  private onMessage(message: Element, send: (text: string) => void): void {
    const { id } = message.attrs;
    const { refuseMessage, relay = 'as-sent' } = this.behaviour;
    if (refuseMessage || this.occupant === undefined) {
      return send(`<message from='${this.jid}' to='${ME}' type='error' id='${id}'>${errorOf(refuseMessage ?? 'not-acceptable', 'auth')}</message>`);
    }
    if (relay === 'never') return;
    const origin = message.getChild('origin-id', NS_SID);
    const kept = origin ? `<origin-id xmlns='${NS_SID}' id='${escape(String(origin.attrs.id))}'/>` : '';
    this.archive(`${this.jid}/${this.occupant}`, relay === 'new-id' ? `room-${++this.serial}` : String(id), `<body>${escape(message.getChildText('body') ?? '')}</body>${kept}`);
  }

  private archive(from: string, id: string, inner: string): void {
    const stanzaId = this.behaviour.stanzaIds ? `<stanza-id xmlns='${NS_SID}' by='${this.jid}' id='sid-${id}'/>` : '';
    const said: Said = { at: new Date(), xml: (extra) => `<message from='${escape(from)}' to='${ME}' type='groupchat' id='${escape(id)}'>${inner}${stanzaId}${extra}</message>` };
    this.said.push(said);
    this.sent.push(said.xml(''));
    if (this.occupant !== undefined) this.push?.(said.xml(''));
  }

  private replay(since: Date, send: (text: string) => void): void {
    for (const said of this.said.filter((s) => s.at >= since)) send(said.xml(`<delay xmlns='urn:xmpp:delay' from='${this.jid}' stamp='${said.at.toISOString()}'/>`));
  }
}

export interface DomainBehaviour {
  /** How its server answers a ping: a result, an error of ours (remote-server-*) or of its own, or never. */
  ping: 'result' | 'remote-server-not-found' | 'remote-server-timeout' | 'service-unavailable' | 'never';
  /** Bounce every message to a user there with this condition. */
  bounce?: string;
  /** Its answers come this much later than our own server's. */
  delayMs?: number;
}

/** Another domain, reached through our server: what it sends back comes back in order, on one stream. */
export function fakeDomain(domain: string, behaviour: DomainBehaviour): Route {
  const later = (send: (text: string) => void, text: string) => setTimeout(() => send(text), behaviour.delayMs ?? 0);
  return (stanza, send) => {
    const to = String(stanza.attrs.to ?? '');
    if (to.split('@').pop()!.split('/')[0] !== domain) return false;
    const { id } = stanza.attrs;
    if (stanza.name === 'message' && behaviour.bounce) {
      later(send, `<message from='${escape(to)}' to='${ME}' type='error' id='${id}'>${errorOf(behaviour.bounce)}</message>`);
    } else if (stanza.name === 'iq' && behaviour.ping !== 'never') {
      later(send, `<iq from='${domain}' to='${ME}' id='${id}' type='${behaviour.ping === 'result' ? 'result' : 'error'}'>${behaviour.ping === 'result' ? '' : errorOf(behaviour.ping)}</iq>`);
    }
    return true;
  };
}

// An authenticated XMPP session with a strict policy: TLS always (STARTTLS required, certificate
// verified unless the caller explicitly says otherwise), every wait bounded, no reconnect, no
// host-meta. Composed from the @xmpp packages one by one (login.ts), as @xmpp/client composes them,
// but without the parts of that bundle whose defaults would break the policy (README, "The XMPP
// library"). openSession() tries the server's addresses in turn; the facade is all callers see.
import type { Element } from '@xmpp/xml';
import { bounded } from './bounded.ts';
import { firstReachable, serverAddresses, type Endpoint, type ServerAddress } from './connect.ts';
import { DataError, RecipientError } from './errors.ts';
import { parseJid } from './jid.ts';
import { loadXmpp } from './load.ts';
import { Login, NS_PING, type LoginOptions } from './login.ts';
import type { InboundHooks } from './stream-management.ts';
import { trustAnchors, type TrustOptions } from './trust.ts';

export type { InboundHooks, Pending } from './stream-management.ts';

export interface SessionOptions extends TrustOptions, LoginOptions {
  /** The account: user@domain, optionally with /resource to request. */
  jid: string;
  /** Where to connect; without it, SRV _xmpp-client._tcp.DOMAIN, then DOMAIN:5222. */
  server?: ServerAddress;
  /** Bound on each wait: resolving, connecting, TLS, login, each request, closing. Default 10 s. */
  timeoutMs?: number;
  /** Progress lines ("connecting to ..."). */
  onProgress?: (text: string) => void;
}

export interface Session {
  /** The full JID the server bound. */
  readonly jid: string;
  /**
   * Enables XEP-0198 so that incoming stanzas count as received only once handled: what was not
   * handled when the session ends goes back to the server's offline storage. False when the server
   * does not offer it.
   */
  enableStreamManagement(): Promise<boolean>;
  /** Resolves once every stanza received so far has been handled. */
  drain(): Promise<void>;
  /** Whether the disco#info of `jid` (default: our server) lists this feature (asked once per JID, then cached). */
  hasFeature(namespace: string, jid?: string): Promise<boolean>;
  /** Writes a stanza to the socket. Resolving means written, not received: confirm with ping(). */
  send(stanza: Element): Promise<void>;
  /** An IQ round trip, bounded by the time-out; an IQ error reply rejects with a RecipientError. */
  request(iq: Element): Promise<Element>;
  /** IQ ping to our own server: resolves once the server has processed everything sent before it. */
  ping(): Promise<void>;
  /** Resolves when the connection ends: undefined after close(), else the reason it broke. */
  readonly ended: Promise<Error | undefined>;
  /** Acknowledges what was handled, closes the stream, waits (bounded) for the server, drops the socket. */
  close(): Promise<void>;
  /** Drops the connection at once, acknowledging nothing more: for when something already failed. */
  abort(): void;
}

/** Opens a session with the given hooks: how a command hands its connection settings to a mode. */
export type OpenSession = (hooks: InboundHooks) => Promise<Session>;

const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';

export async function openSession(options: SessionOptions): Promise<Session> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const progress = options.onProgress ?? (() => {});
  const account = parseJid(options.jid, 'account JID');
  if (!account.local) throw new DataError(`invalid account JID ${JSON.stringify(options.jid)}: no local part`);
  const { domain } = account;
  // The XMPP code loads while DNS answers.
  const [lib, trust, targets] = await Promise.all([loadXmpp(), trustAnchors(options), serverAddresses(domain, options.server, timeoutMs)]);
  const attempt = async (endpoint: Endpoint) => {
    const login = new Login(lib, options, { ...endpoint, account, trust, timeoutMs, progress });
    await login.run();
    return new XmppSession(login);
  };
  return firstReachable(targets, attempt, { domain, timeoutMs, progress });
}

/** The Session facade over a completed login. */
class XmppSession implements Session {
  readonly jid: string;
  readonly ended: Promise<Error | undefined>;
  private closing = false;
  private readonly info = new Map<string, Promise<Set<string>>>();

  constructor(private readonly login: Login) {
    this.jid = String(login.entity.jid);
    this.ended = new Promise((resolve) => {
      login.failed.catch((error: Error) => resolve(this.closing ? undefined : error));
    });
  }

  private get domain(): string {
    return this.login.target.account.domain;
  }

  enableStreamManagement(): Promise<boolean> {
    const { login } = this;
    return login.inbound.enable(login.lastFeatures, async (enable) => {
      const answer = login.lib.promise<Element>(login.entity, 'nonza', null);
      await this.send(enable);
      return login.within(answer, 'enabling stream management');
    });
  }

  async drain(): Promise<void> {
    await this.login.within(this.login.inbound.idle(), 'handling the received messages');
  }

  async hasFeature(namespace: string, jid = this.domain): Promise<boolean> {
    const { xml } = this.login.lib;
    let features = this.info.get(jid);
    if (!features) {
      features = this.request(xml('iq', { type: 'get', to: jid }, xml('query', { xmlns: NS_DISCO_INFO }))).then(
        (reply) => new Set(reply.getChild('query', NS_DISCO_INFO)?.getChildren('feature').map((f) => String(f.attrs.var)) ?? []),
      );
      this.info.set(jid, features);
    }
    return (await features).has(namespace);
  }

  async send(stanza: Element): Promise<void> {
    // The write callback fires once the kernel took the bytes: a server that reads slowly (or not at all) must not hold us.
    await this.login.within(this.login.entity.send(stanza), `sending a ${stanza.name} to ${this.login.target.where}`);
  }

  request(stanza: Element): Promise<Element> {
    const { login } = this;
    // iq.request() has its own timer but no link to a dropped connection: race both.
    return login.within(login.iq.request(stanza, login.target.timeoutMs + 1000), `waiting for the server to answer an IQ ${stanza.attrs.type}`).catch(
      (error: Error & { condition?: string; text?: string }) => {
        if (error.name === 'StanzaError') throw new RecipientError(stanza.attrs.to ?? this.domain, error.condition ?? 'undefined-condition', error.text);
        throw error;
      },
    );
  }

  async ping(): Promise<void> {
    const { xml } = this.login.lib;
    try {
      await this.request(xml('iq', { type: 'get', to: this.domain }, xml('ping', { xmlns: NS_PING })));
    } catch (error) {
      // A server without XEP-0199 answers with an error: still a complete round trip.
      if (!(error instanceof RecipientError)) throw error;
    }
  }

  abort(): void {
    this.closing = true;
    this.login.inbound.stop();
    this.login.fail(new Error('aborted'));
    this.login.destroy();
  }

  async close(): Promise<void> {
    if (this.closing) return;
    const { login } = this;
    const { entity, inbound } = login;
    try {
      await bounded(inbound.idle(), login.target.timeoutMs, 'finishing with the received messages').catch(() => {});
      this.closing = true;
      inbound.stop();
      if (inbound.broken || entity.status !== 'online') return;
      const ack = inbound.finalAcknowledgement();
      if (ack) {
        // The final <a/> must be processed before the socket goes. A ping behind it proves that
        // (a server handles a stream in order) in one round trip, sooner than the server's </stream>.
        await entity.send(ack);
        await this.ping();
      }
      await bounded(entity.write('</stream:stream>'), login.target.timeoutMs, 'closing the stream');
    } catch {
      // Closing is best effort; the server treats a dropped socket like a closed stream.
    } finally {
      login.fail(new Error('closed'));
      login.destroy();
    }
  }
}

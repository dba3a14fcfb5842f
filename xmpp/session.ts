// An authenticated XMPP session with a strict policy: TLS always (STARTTLS required, certificate
// verified unless the caller explicitly says otherwise), every wait bounded, no reconnect, no
// host-meta. Composed from the @xmpp packages one by one, as @xmpp/client composes them, but without
// the parts of that bundle whose defaults would break the policy (see README, "The XMPP library").
import type { Socket as NetSocket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Element } from '@xmpp/xml';
import type { Client } from '@xmpp/client-core';
import type { IQCaller } from '@xmpp/iq/caller.js';
import type { MiddlewareStack } from '@xmpp/middleware';
import { bounded } from './bounded.ts';
import { firstReachable, hostPort, serverAddresses, type Endpoint, type ServerAddress } from './connect.ts';
import { classify, DataError, RecipientError, UnavailableError } from './errors.ts';
import { parseJid, type Jid } from './jid.ts';
import { loadXmpp, type Xmpp } from './load.ts';
import { authenticate } from './sasl.ts';
import { NS_STREAM, requireStartTls, upgradeToTls } from './starttls.ts';
import { StreamManagement } from './stream-management.ts';
import { trustAnchors, type Trust, type TrustOptions } from './trust.ts';

export type { ServerAddress } from './connect.ts';

/** What the caller does with incoming stanzas. */
export interface InboundHooks {
  /**
   * Called for every incoming stanza, one at a time in arrival order. With stream management, a
   * stanza counts as handled (and is acknowledged to the server) only once the returned promise
   * resolves; a rejection stops all acknowledgement and ends the session.
   */
  onStanza?: (stanza: Element) => void | Promise<void>;
  /** With stream management, acknowledge messages as soon as they are handled (one <a/> per event-loop turn). */
  acknowledgeEach?: boolean;
}

export interface SessionOptions extends TrustOptions, InboundHooks {
  /** The account: user@domain, optionally with /resource to request. */
  jid: string;
  password: string;
  /** Where to connect; without it, SRV _xmpp-client._tcp.DOMAIN, then DOMAIN:5222. */
  server?: ServerAddress;
  /** Accept any certificate. Encryption stays on; authentication of the server is gone. */
  insecure?: boolean;
  /** Bound on each wait: resolving, connecting, TLS, login, each request, closing. Default 10 s. */
  timeoutMs?: number;
  /** Progress lines ("connecting to ..."). */
  onProgress?: (text: string) => void;
  /** Every element both ways. Unredacted: the caller redacts. */
  onTrace?: (direction: 'in' | 'out', element: Element | string) => void;
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
  /** Whether the server's disco#info lists this feature (asked once, then cached). */
  hasFeature(namespace: string): Promise<boolean>;
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

const NS_PING = 'urn:xmpp:ping';
const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';

export async function openSession(options: SessionOptions): Promise<Session> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const progress = options.onProgress ?? (() => {});
  const account = parseJid(options.jid, 'account JID');
  if (!account.local) throw new DataError(`invalid account JID ${JSON.stringify(options.jid)}: no local part`);
  const { domain } = account;
  // The XMPP code loads while DNS and the CA file are read.
  const [lib, trust, targets] = await Promise.all([loadXmpp(), trustAnchors(options), serverAddresses(domain, options.server, timeoutMs)]);
  const login = (endpoint: Endpoint) => new Login(lib, options, { ...endpoint, account, trust, timeoutMs, progress }).run();
  return firstReachable(targets, login, { domain, timeoutMs, progress });
}

interface LoginTarget extends Endpoint {
  account: Jid;
  trust: Trust;
  timeoutMs: number;
  progress: (text: string) => void;
}

/** One login attempt at one address; on success, the session it became. */
class Login {
  readonly entity: Client;
  private readonly middleware: MiddlewareStack;
  readonly iq: IQCaller;
  readonly inbound: StreamManagement;
  /** Every failure, from any layer, rejects this once; an 'error' event without a listener would crash the process. */
  readonly failed: Promise<never>;
  readonly fail: (error: Error) => void;
  private rawSocket: NetSocket | undefined;
  private tlsSocket: TLSSocket | undefined;
  lastFeatures: Element | undefined;

  constructor(
    readonly lib: Xmpp,
    readonly options: SessionOptions,
    readonly target: LoginTarget,
  ) {
    const { where } = target;
    this.entity = new lib.Client({ domain: target.account.domain, timeout: target.timeoutMs });
    lib.tcp({ entity: this.entity });
    this.middleware = lib.middleware({ entity: this.entity });
    this.iq = lib.iqCaller({ middleware: this.middleware, entity: this.entity });
    lib.iqCallee({ middleware: this.middleware, entity: this.entity }).get(NS_PING, 'ping', () => ({}));
    let fail: (error: Error) => void = () => {};
    this.failed = new Promise<never>((_, reject) => {
      fail = (error) => reject(classify(error, where));
    });
    this.failed.catch(() => {});
    this.fail = fail;
    this.entity.on('error', (error: Error) => fail(error));
    this.entity.on('disconnect', () => fail(new Error(`connection to ${where} closed by the server`)));
    this.negotiate();
    this.inbound = this.handleInbound();
  }

  /** Stream features in the order they run: STARTTLS (required), SASL, resource binding. */
  private negotiate(): void {
    const { lib, entity, middleware, target } = this;
    const features = lib.streamFeatures({ middleware });
    middleware.use(({ stanza }, next) => {
      if (stanza.is('features', NS_STREAM)) this.lastFeatures = stanza;
      return next();
    });
    requireStartTls(
      { entity, middleware, xml: lib.xml },
      {
        domain: target.account.domain,
        where: target.where,
        trust: target.trust,
        insecure: Boolean(this.options.insecure),
        progress: target.progress,
        upgrade: async (tls) => (this.tlsSocket = await upgradeToTls(entity, tls)),
      },
    );
    const credentials = { username: target.account.local, password: this.options.password };
    authenticate({ entity, streamFeatures: features, sasl: lib.sasl, SASLFactory: lib.SASLFactory }, { ...credentials, where: target.where, progress: target.progress, fail: this.fail });
    lib.resourceBinding({ streamFeatures: features, iqCaller: this.iq }, target.account.resource || undefined);
  }

  // Listeners after the middleware's: the login steps see an element first, so their progress lines
  // come before its trace.
  private handleInbound(): StreamManagement {
    const { entity, options } = this;
    const trace = options.onTrace;
    if (trace) {
      entity.on('element', (element: Element) => trace('in', element));
      entity.on('send', (element: Element) => trace('out', element));
    }
    const inbound = new StreamManagement({
      xml: this.lib.xml,
      write: (element) => entity.send(element),
      online: () => entity.status === 'online',
      pause: () => this.tlsSocket?.pause(),
      resume: () => this.tlsSocket?.resume(),
      fail: (error) => {
        this.fail(error);
        this.destroy();
      },
      progress: this.target.progress,
      onStanza: options.onStanza,
      acknowledgeEach: options.acknowledgeEach,
    });
    entity.on('element', (element: Element) => inbound.receive(element));
    return inbound;
  }

  destroy(): void {
    this.rawSocket?.destroy();
  }

  /** Each step bounded by the time-out and cut short by any failure. */
  within<T>(work: Promise<T>, waitingFor: string): Promise<T> {
    return bounded(Promise.race([work, this.failed]), this.target.timeoutMs, waitingFor);
  }

  async run(): Promise<Session> {
    const { entity, target } = this;
    const { where } = target;
    try {
      target.progress(`connecting to ${where}`);
      const connecting = entity.connect(`xmpp://${hostPort(target.ip, target.port)}`);
      this.rawSocket = entity.socket as unknown as NetSocket;
      await this.within(connecting, `connecting to ${where}`);
      this.rawSocket?.setKeepAlive(true, 15_000);
      // Small stanzas in a row (message, then ping) must not wait on Nagle for the previous ACK.
      this.rawSocket?.setNoDelay(true);
      const online = this.lib.promise(entity, 'online', null);
      await this.within(entity.open({ domain: target.account.domain }), `opening the stream with ${where}`);
      await this.within(online, `logging in at ${where}`);
      if (!entity.isSecure()) throw new UnavailableError(`${where}: session is not encrypted`);
    } catch (error) {
      this.destroy();
      throw classify(error, where);
    }
    target.progress(`logged in as ${String(entity.jid)}`);
    return new XmppSession(this);
  }
}

/** The Session facade over a completed login. */
class XmppSession implements Session {
  readonly jid: string;
  readonly ended: Promise<Error | undefined>;
  private closing = false;
  private info: Promise<Set<string>> | undefined;

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

  async hasFeature(namespace: string): Promise<boolean> {
    const { xml } = this.login.lib;
    this.info ??= this.request(xml('iq', { type: 'get', to: this.domain }, xml('query', { xmlns: NS_DISCO_INFO }))).then(
      (reply) => new Set(reply.getChild('query', NS_DISCO_INFO)?.getChildren('feature').map((f) => String(f.attrs.var)) ?? []),
    );
    return (await this.info).has(namespace);
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

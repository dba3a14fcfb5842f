// One login attempt at one address: the xmpp.js entity and this library's parts, composed in the
// order they run on each element (STARTTLS, SASL, resource binding; the trace; the inbound queue).
import type { Socket as NetSocket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Element } from '@xmpp/xml';
import type { Client } from '@xmpp/client-core';
import type { IQCaller } from '@xmpp/iq/caller.js';
import type { MiddlewareStack } from '@xmpp/middleware';
import { takeElements, useParser } from './adapter.ts';
import { bounded } from './bounded.ts';
import { hostPort, type Endpoint } from './connect.ts';
import { classify, UnavailableError } from './errors.ts';
import type { Jid } from './jid.ts';
import type { Xmpp } from './load.ts';
import { authenticate } from './sasl.ts';
import { NS_STREAM, requireStartTls, upgradeToTls } from './starttls.ts';
import { StreamManagement, type InboundHooks } from './stream-management.ts';
import type { Trust } from './trust.ts';

export const NS_PING = 'urn:xmpp:ping';

export interface LoginOptions extends InboundHooks {
  password: string;
  /** Accept any certificate. Encryption stays on; authentication of the server is gone. */
  insecure?: boolean;
  /** Every element both ways. Unredacted: the caller redacts. */
  onTrace?: (direction: 'in' | 'out', element: Element | string) => void;
}

export interface LoginTarget extends Endpoint {
  account: Jid;
  trust: Trust;
  timeoutMs: number;
  progress: (text: string) => void;
}

/** One login attempt at one address; once run() resolves, the connection a Session uses. */
export class Login {
  readonly entity: Client;
  private readonly middleware: MiddlewareStack;
  readonly iq: IQCaller;
  readonly inbound: StreamManagement;
  /** Every failure, from any layer, rejects this once; an 'error' event without a listener would crash the process. */
  readonly failed: Promise<never>;
  readonly fail: (error: Error) => void;
  private rawSocket: NetSocket | undefined;
  private tlsSocket: TLSSocket | undefined;
  /** The latest <stream:features/>: where the server offers stream management. */
  lastFeatures: Element | undefined;

  constructor(
    readonly lib: Xmpp,
    readonly options: LoginOptions,
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
    authenticate(
      { entity, streamFeatures: features, sasl: lib.sasl, SASLFactory: lib.SASLFactory },
      { username: target.account.local, password: this.options.password, where: target.where, progress: target.progress, fail: this.fail },
    );
    lib.resourceBinding({ streamFeatures: features, iqCaller: this.iq }, target.account.resource || undefined);
  }

  // Listeners after the middleware's: the login steps see an element first, so their progress lines
  // come before its trace. Messages and presence go straight to the queue: the middleware has
  // nothing to do with them.
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
    takeElements(entity, (element) => {
      if (element.name !== 'message' && element.name !== 'presence') return false;
      trace?.('in', element);
      inbound.receive(element);
      return true;
    });
    return inbound;
  }

  destroy(): void {
    this.rawSocket?.destroy();
  }

  /** Each step bounded by the time-out and cut short by any failure. */
  within<T>(work: Promise<T>, waitingFor: string): Promise<T> {
    return bounded(Promise.race([work, this.failed]), this.target.timeoutMs, waitingFor);
  }

  /** Connects and logs in; the login is then a session's to use. */
  async run(): Promise<void> {
    const { entity, target } = this;
    const { where } = target;
    try {
      target.progress(`connecting to ${where}`);
      const connecting = entity.connect(`xmpp://${hostPort(target.ip, target.port)}`);
      useParser(entity, this.lib.Parser);
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
  }
}

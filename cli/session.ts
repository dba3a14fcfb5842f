// An authenticated XMPP session with a strict policy: TLS always (STARTTLS required, certificate
// verified unless the caller explicitly says otherwise), every wait bounded, no reconnect, no
// host-meta. Composed from @xmpp packages instead of @xmpp/client so that the unsafe defaults of
// the bundle (auto-reconnect, optional STARTTLS, an SM counter that skips IQ replies) never run.
//
// Free of CLI concerns (no printing, no process.exit): the lab runner imports it to prove that a
// real login works.
import type { Socket as NetSocket } from 'node:net';
import type { SecureContext, TLSSocket } from 'node:tls';
import type { Element } from '@xmpp/xml';
import type { Client } from '@xmpp/client-core';
import type { IQCaller } from '@xmpp/iq/caller.js';
import { AuthError, DataError, RecipientError, RsxccError, TimeoutError, UnavailableError, UsageError } from './errors.ts';
import { parseJid, type Jid } from './jid.ts';
import type { Scram } from './sasl.ts';

export interface ServerAddress {
  host: string;
  port: number;
}

export interface SessionOptions {
  /** The account: user@domain, optionally with /resource to request. */
  jid: string;
  password: string;
  /** Where to connect; without it, SRV _xmpp-client._tcp.DOMAIN, then DOMAIN:5222. */
  server?: ServerAddress;
  /** PEM file of the certificate authorities to trust instead of the system's. */
  caFile?: string;
  /** PEM file trusted in addition to the system's when there is no caFile (see extraCaFile in options.ts). */
  extraCaFile?: string;
  /** A problem that does not stop the run (an unreadable extra CA file, as Node itself warns). */
  onWarning?: (text: string) => void;
  /** Accept any certificate. Encryption stays on; authentication of the server is gone. */
  insecure?: boolean;
  /** Bound on each wait: resolving, connecting, TLS, login, each request, closing. Default 10 s. */
  timeoutMs?: number;
  /** With stream management, acknowledge messages as soon as they are handled (one <a/> per event-loop turn). */
  acknowledgeEach?: boolean;
  /**
   * Called for every incoming stanza, one at a time in arrival order. With stream management, a
   * stanza counts as handled (and is acknowledged to the server) only once the returned promise
   * resolves; a rejection stops all acknowledgement and ends the session.
   */
  onStanza?: (stanza: Element) => void | Promise<void>;
  /** Progress lines ("connecting to ...") for -v. */
  onProgress?: (text: string) => void;
  /** Every element both ways, for -d. Unredacted: the caller redacts. */
  onTrace?: (direction: 'in' | 'out', element: Element | string) => void;
}

export interface Session {
  /** The full JID the server bound. */
  readonly jid: string;
  /** host:port actually connected to. */
  readonly address: string;
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
  /** Tells the server (XEP-0198 <a/>) how many incoming stanzas have been handled so far. */
  acknowledge(): Promise<void>;
  /** Resolves when the connection ends: undefined after close(), else the reason it broke. */
  readonly ended: Promise<Error | undefined>;
  /** Acknowledges what was handled, closes the stream, waits (bounded) for the server, drops the socket. */
  close(): Promise<void>;
  /** Drops the connection at once, acknowledging nothing more: for when something already failed. */
  abort(): void;
}

const NS_STREAM = 'http://etherx.jabber.org/streams';
const NS_TLS = 'urn:ietf:params:xml:ns:xmpp-tls';
const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
const NS_SM = 'urn:xmpp:sm:3';
const NS_PING = 'urn:xmpp:ping';
const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';

export const defaultTimeoutMs = 10_000;

/** Rejects with a TimeoutError naming what we were waiting for, unless `work` settles first. */
export async function bounded<T>(work: Promise<T>, ms: number, waitingFor: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`timed out after ${ms / 1000} s ${waitingFor}`)), ms);
  });
  try {
    return await Promise.race([work, expiry]);
  } finally {
    clearTimeout(timer);
  }
}

const tlsTrustErrors = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_SIGNATURE_FAILURE',
]);

/** Maps whatever the libraries threw onto the error taxonomy; `where` names the server. */
export function classify(error: unknown, where: string): RsxccError | Error {
  if (error instanceof RsxccError) return error;
  const err = error as Error & { code?: string; condition?: string; text?: string };
  if (err.name === 'SASLError') {
    return new AuthError(`authentication failed at ${where}: ${err.condition}${err.text ? ` (${err.text})` : ''}`);
  }
  if (err.name === 'StreamError') {
    const text = `${where} closed the stream: ${err.condition}${err.text ? ` (${err.text})` : ''}`;
    // Both Prosody and ejabberd answer an oversized stanza with policy-violation.
    if (err.condition === 'policy-violation') return new DataError(text);
    if (err.condition === 'host-unknown' || err.condition === 'host-gone') return new UnavailableError(text);
    return new Error(text);
  }
  if (err.code && tlsTrustErrors.has(err.code)) {
    return new UnavailableError(`TLS: ${where} presented a certificate we do not trust (${err.code}): pass its CA with -a CAFILE`);
  }
  if (err.code === 'ECONNREFUSED') return new UnavailableError(`cannot connect to ${where}: connection refused`);
  if (err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH' || err.code === 'EADDRNOTAVAIL') {
    return new UnavailableError(`cannot connect to ${where}: ${err.code === 'EHOSTUNREACH' ? 'host' : 'network'} unreachable`);
  }
  if (err.code === 'ECONNRESET' || err.code === 'EPIPE') return new Error(`connection to ${where} lost (${err.code})`);
  return err instanceof Error ? err : new Error(String(error));
}

async function loadXmpp() {
  const [xml, core, tcp, tlsSocket, middleware, streamFeatures, iqCaller, iqCallee, sasl, factory, mechanisms, bind, events] =
    await Promise.all([
      import('@xmpp/xml'),
      import('@xmpp/client-core'),
      import('@xmpp/tcp'),
      import('@xmpp/tls/lib/Socket.js'),
      import('@xmpp/middleware'),
      import('@xmpp/stream-features'),
      import('@xmpp/iq/caller.js'),
      import('@xmpp/iq/callee.js'),
      import('@xmpp/sasl'),
      import('saslmechanisms'),
      import('./sasl.ts'),
      import('@xmpp/resource-binding'),
      import('@xmpp/events'),
    ]);
  return {
    xml: xml.default,
    Client: core.Client,
    tcp: tcp.default,
    TlsSocket: tlsSocket.default,
    middleware: middleware.default,
    streamFeatures: streamFeatures.default,
    iqCaller: iqCaller.default,
    iqCallee: iqCallee.default,
    sasl: sasl.default,
    SASLFactory: factory.default,
    mechanisms,
    resourceBinding: bind.default,
    promise: events.promise,
  };
}

/** SRV _xmpp-client._tcp first (RFC 6120 3.2.1), then the domain itself on 5222. */
export async function serviceAddresses(domain: string, timeoutMs: number): Promise<ServerAddress[]> {
  const { Resolver } = await import('node:dns/promises');
  const resolver = new Resolver({ timeout: Math.min(timeoutMs, 3000), tries: 2 });
  let records: Array<{ name: string; port: number; priority: number; weight: number }>;
  try {
    records = await resolver.resolveSrv(`_xmpp-client._tcp.${domain}`);
  } catch {
    // No SRV record (or no DNS at all): RFC 6120 3.2.2 falls back to the domain itself.
    return [{ host: domain, port: 5222 }];
  }
  if (records.length === 1 && records[0]!.name === '.') {
    throw new UnavailableError(`${domain} says it offers no XMPP client service (SRV target ".")`);
  }
  return records
    .sort((a, b) => a.priority - b.priority || b.weight - a.weight)
    .map((record) => ({ host: record.name.replace(/\.$/, ''), port: record.port }));
}

async function ipAddresses(host: string): Promise<string[]> {
  const { lookup } = await import('node:dns/promises');
  try {
    return (await lookup(host, { all: true })).map((entry) => entry.address);
  } catch (error) {
    throw new UnavailableError(`cannot resolve ${host}: ${(error as { code?: string }).code ?? (error as Error).message}`);
  }
}

const hostPort = (host: string, port: number) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

/** What TLS verifies against: a CA file's text, or a context holding the system's CAs and the extra file. */
type Trust = { ca: string } | { secureContext: SecureContext } | Record<string, never>;

/**
 * The trust anchors for TLS: the -a file alone; else Node's default store (the system's, as
 * installed: see build.mjs) plus the extra file, which is read here, when a connection needs it,
 * and skipped with a warning when unreadable (as Node does with NODE_EXTRA_CA_CERTS); else the
 * default store alone.
 */
async function trustAnchors(options: SessionOptions): Promise<Trust> {
  if (options.caFile !== undefined) return { ca: await readCa(options.caFile) };
  if (!options.extraCaFile) return {};
  const [{ readFile }, { createSecureContext }] = await Promise.all([import('node:fs/promises'), import('node:tls')]);
  let pem: string;
  try {
    pem = await readFile(options.extraCaFile, 'utf8');
  } catch (error) {
    options.onWarning?.(`ignoring extra CA certificates from ${options.extraCaFile}: ${(error as Error).message}`);
    return {};
  }
  // Added to a copy of the default store, as Node adds NODE_EXTRA_CA_CERTS: the `ca` option would
  // replace the default store instead.
  const secureContext = createSecureContext();
  (secureContext.context as { addCACert(pem: string): void }).addCACert(pem);
  return { secureContext };
}

async function readCa(caFile: string): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  let text: string;
  try {
    text = await readFile(caFile, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read CA file ${caFile}: ${(error as Error).message}`);
  }
  // Checked here: with no usable certificate in it, TLS would fail later and seem to blame the server.
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (!blocks.length) throw new UsageError(`CA file ${caFile} holds no PEM certificate`);
  const { X509Certificate } = await import('node:crypto');
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch {
      throw new UsageError(`CA file ${caFile} holds a certificate that does not parse`);
    }
  }
  return text;
}

export async function openSession(options: SessionOptions): Promise<Session> {
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  const progress = options.onProgress ?? (() => {});
  const account = parseJid(options.jid, 'account JID');
  if (!account.local) throw new DataError(`invalid account JID ${JSON.stringify(options.jid)}: no local part`);
  const domain = account.domain;

  // Start loading the XMPP code while DNS and the CA file are read.
  const [lib, trust, targets] = await Promise.all([
    loadXmpp(),
    trustAnchors(options),
    options.server ? [options.server] : bounded(serviceAddresses(domain, timeoutMs), timeoutMs, `looking up SRV for ${domain}`),
  ]);

  let lastError: Error | undefined;
  for (const target of targets) {
    const addresses = await bounded(ipAddresses(target.host), timeoutMs, `resolving ${target.host}`);
    for (const ip of addresses) {
      const where = target.host === ip ? hostPort(ip, target.port) : `${target.host} (${hostPort(ip, target.port)})`;
      try {
        return await login(lib, options, { account, domain, ip, port: target.port, where, trust, timeoutMs, progress });
      } catch (error) {
        lastError = classify(error, where);
        // Only a server we could not reach justifies trying the next one; a refused login does not.
        if (!(lastError instanceof UnavailableError && /cannot connect|unreachable/.test(lastError.message))) throw lastError;
        progress(lastError.message);
      }
    }
  }
  throw lastError ?? new UnavailableError(`no address for ${domain}`);
}

interface Target {
  account: Jid;
  domain: string;
  ip: string;
  port: number;
  where: string;
  trust: Trust;
  timeoutMs: number;
  progress: (text: string) => void;
}

type Lib = Awaited<ReturnType<typeof loadXmpp>>;

async function login(lib: Lib, options: SessionOptions, target: Target): Promise<Session> {
  const { xml } = lib;
  const { domain, where, timeoutMs, progress } = target;
  const entity: Client = new lib.Client({ domain, timeout: timeoutMs });
  lib.tcp({ entity });
  const stack = lib.middleware({ entity });
  const features = lib.streamFeatures({ middleware: stack });
  const iq: IQCaller = lib.iqCaller({ middleware: stack, entity });
  lib.iqCallee({ middleware: stack, entity }).get(NS_PING, 'ping', () => ({}));

  let rawSocket: NetSocket | undefined;
  let tlsSocket: TLSSocket | undefined;
  const destroy = () => rawSocket?.destroy();

  // Every failure, from any layer, ends up here exactly once; an EventEmitter 'error' without a
  // listener would crash the process instead.
  let failWith: (error: Error) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    failWith = (error) => reject(classify(error, where));
  });
  failed.catch(() => {});
  entity.on('error', (error: Error) => failWith(error));
  entity.on('disconnect', () => failWith(new Error(`connection to ${where} closed by the server`)));

  let lastFeatures: Element | undefined;
  // Registered before SASL and binding, so it runs first on every <stream:features/>.
  stack.use(async ({ stanza }, next) => {
    if (!stanza.is('features', NS_STREAM)) return next();
    lastFeatures = stanza;
    if (entity.isSecure()) return next();
    if (!stanza.getChild('starttls', NS_TLS)) {
      throw new UnavailableError(`${where} does not offer STARTTLS: refusing to continue without TLS`);
    }
    progress('starting TLS');
    const answer = await entity.sendReceive(xml('starttls', { xmlns: NS_TLS }));
    if (!answer.is('proceed', NS_TLS)) throw new UnavailableError(`${where} refused STARTTLS`);
    const secure = new lib.TlsSocket();
    secure.connect({
      socket: rawSocket,
      servername: domain,
      ...target.trust,
      rejectUnauthorized: !options.insecure,
    });
    await lib.promise(secure, 'connect', 'error');
    tlsSocket = secure.socket ?? undefined;
    entity._attachSocket(secure);
    progress(`TLS ${secure.socket?.getProtocol()} established${options.insecure ? ' (certificate NOT verified)' : ''}`);
    await entity.restart();
  });

  // Strongest first; the instance is kept to check the server's SCRAM signature on <success/>.
  let scram: Scram | undefined;
  const { ScramSha256, ScramSha1, Plain } = lib.mechanisms;
  const saslFactory = new lib.SASLFactory()
    .use('SCRAM-SHA-256', class extends ScramSha256 { constructor() { super(); scram = this; } })
    .use('SCRAM-SHA-1', class extends ScramSha1 { constructor() { super(); scram = this; } })
    .use('PLAIN', Plain);
  entity.on('nonza', (element: Element) => {
    if (!element.is('success', NS_SASL) || !scram || scram.serverVerified) return;
    try {
      scram.verifyServerFinal(Buffer.from(element.text(), 'base64').toString('utf8'));
    } catch (error) {
      failWith(new AuthError(`${where}: ${(error as Error).message}`));
    }
  });
  lib.sasl({ streamFeatures: features, saslFactory }, async (authenticate, mechanisms) => {
    // SASL only ever runs over TLS (enforced above), so PLAIN does not expose the password.
    if (!entity.isSecure()) throw new UnavailableError('refusing to authenticate without TLS');
    progress(`authenticating with ${mechanisms[0]}`);
    await authenticate({ username: target.account.local, password: options.password }, mechanisms[0]!);
  });
  lib.resourceBinding({ streamFeatures: features, iqCaller: iq }, target.account.resource || undefined);

  if (options.onTrace) {
    const trace = options.onTrace;
    entity.on('element', (element: Element) => trace('in', element));
    entity.on('send', (element: Element) => trace('out', element));
  }

  // Incoming stanzas are handed to the caller one at a time; `handled` counts, for XEP-0198, how
  // many of those that arrived after <enabled/> the caller has finished with.
  let smEnabled = false;
  let handled = 0;
  let handlerFailed = false;
  let closing = false;
  let queue: Promise<void> = Promise.resolve();
  // One <a/> for all the messages handled in one turn of the event loop (h is cumulative): one
  // per message meant 10,000 TLS writes for 10,000 waiting, and a peak RSS of 110 MB instead of
  // 62-64 MB (0 waiting: 48 MB); the drain got faster too (Prosody 4.2 -> 3.6 s).
  let ackDue = false;
  const acknowledgeSoon = () => {
    if (ackDue) return;
    ackDue = true;
    setImmediate(() => {
      ackDue = false;
      if (!closing && entity.status === 'online') entity.send(xml('a', { xmlns: NS_SM, h: handled })).catch(() => {});
    });
  };
  // Backpressure: when the handlers fall behind (a slow reader of our stdout), stop reading the
  // socket, so that the rest waits in TCP and at the server rather than in our memory. Without
  // it, 10,000 waiting on Prosody, which sends them all at once, took 48 MB more than 0 waiting.
  let waiting = 0;
  const pauseAt = 256;
  const resumeAt = 64;
  entity.on('element', (element: Element) => {
    if (element.is('r', NS_SM) && smEnabled) {
      entity.send(xml('a', { xmlns: NS_SM, h: handled })).catch(() => {});
      return;
    }
    if (!['message', 'presence', 'iq'].includes(element.name) || closing || handlerFailed) return;
    const counted = smEnabled;
    if (++waiting === pauseAt) tlsSocket?.pause();
    queue = queue
      .then(() => options.onStanza?.(element))
      .then(
        () => {
          if (!counted || handlerFailed) return;
          handled += 1;
          if (options.acknowledgeEach && element.name === 'message') acknowledgeSoon();
        },
        (error: Error) => {
          handlerFailed = true;
          failWith(error);
          destroy();
        },
      )
      .finally(() => {
        if (--waiting === resumeAt) tlsSocket?.resume();
      });
  });

  try {
    progress(`connecting to ${where}`);
    const connecting = entity.connect(`xmpp://${hostPort(target.ip, target.port)}`);
    rawSocket = entity.socket as unknown as NetSocket;
    await bounded(Promise.race([connecting, failed]), timeoutMs, `connecting to ${where}`);
    rawSocket?.setKeepAlive(true, 15_000);
    // Small stanzas in a row (message, then ping) must not wait on Nagle for the previous ACK.
    rawSocket?.setNoDelay(true);
    const online = lib.promise(entity, 'online', null);
    await bounded(Promise.race([entity.open({ domain }), failed]), timeoutMs, `opening the stream with ${where}`);
    await bounded(Promise.race([online, failed]), timeoutMs, `logging in at ${where}`);
    if (!entity.isSecure()) throw new UnavailableError(`${where}: session is not encrypted`);

  } catch (error) {
    destroy();
    throw classify(error, where);
  }
  const jid = String(entity.jid);
  progress(`logged in as ${jid}`);

  const ended = new Promise<Error | undefined>((resolve) => {
    failed.catch((error: Error) => resolve(closing ? undefined : error));
  });

  let infoCache: Promise<Set<string>> | undefined;
  const session: Session = {
    jid,
    address: where,
    async enableStreamManagement() {
      if (smEnabled) return true;
      if (!lastFeatures?.getChild('sm', NS_SM)) return false;
      const answer = lib.promise<Element>(entity, 'nonza', null);
      await session.send(xml('enable', { xmlns: NS_SM }));
      const reply = await bounded(Promise.race([answer, failed]), timeoutMs, 'enabling stream management');
      smEnabled = reply.is('enabled', NS_SM);
      progress(smEnabled ? 'stream management enabled' : 'stream management refused by the server');
      return smEnabled;
    },
    async drain() {
      await bounded(Promise.race([queue, failed]), timeoutMs, 'handling the received messages');
    },
    async hasFeature(namespace) {
      infoCache ??= session
        .request(xml('iq', { type: 'get', to: domain }, xml('query', { xmlns: NS_DISCO_INFO })))
        .then((reply) => new Set(reply.getChild('query', NS_DISCO_INFO)?.getChildren('feature').map((f) => String(f.attrs.var)) ?? []));
      return (await infoCache).has(namespace);
    },
    async send(stanza) {
      // The write callback fires once the kernel took the bytes: a server that reads slowly (or not at all) must not hold us.
      await bounded(Promise.race([entity.send(stanza), failed]), timeoutMs, `sending a ${stanza.name} to ${where}`);
    },
    async request(stanza) {
      // iq.request() has its own timer but no link to a dropped connection: race both.
      return bounded(Promise.race([iq.request(stanza, timeoutMs + 1000), failed]), timeoutMs, `waiting for the server to answer an IQ ${stanza.attrs.type}`).catch(
        (error: Error & { condition?: string; text?: string }) => {
          if (error.name === 'StanzaError') throw new RecipientError(stanza.attrs.to ?? domain, error.condition ?? 'undefined-condition', error.text);
          throw error;
        },
      );
    },
    async ping() {
      try {
        await session.request(xml('iq', { type: 'get', to: domain }, xml('ping', { xmlns: NS_PING })));
      } catch (error) {
        // A server without XEP-0199 answers with an error: still a complete round trip.
        if (!(error instanceof RecipientError)) throw error;
      }
    },
    async acknowledge() {
      if (smEnabled) await session.send(xml('a', { xmlns: NS_SM, h: handled }));
    },
    ended,
    abort() {
      closing = true;
      failWith(new Error('aborted'));
      destroy();
    },
    async close() {
      if (closing) return;
      try {
        await bounded(queue, timeoutMs, 'finishing with the received messages').catch(() => {});
        // From here on nothing more is handled: what arrives now stays unacknowledged, so the
        // server keeps it for the next run instead of it being lost.
        closing = true;
        if (!handlerFailed && entity.status === 'online') {
          if (smEnabled) {
            // The final <a/> must be processed before the socket goes. A ping behind it proves
            // that (a server handles a stream in order) in one round trip; waiting for the
            // server's </stream> instead took ejabberd ~100-250 ms after it ended the session.
            await entity.send(xml('a', { xmlns: NS_SM, h: handled }));
            await session.ping();
          }
          await bounded(entity.write('</stream:stream>'), timeoutMs, 'closing the stream');
        }
      } catch {
        // Closing is best effort; the server treats a dropped socket like a closed stream.
      } finally {
        failWith(new Error('closed'));
        destroy();
      }
    },
  };
  return session;
}

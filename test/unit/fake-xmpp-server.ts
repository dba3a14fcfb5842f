// A small XMPP server on loopback for the session's tests: STARTTLS with the fixture certificate,
// SCRAM-SHA-1 for user "alice" with password "secret", resource binding, XEP-0198 without
// resumption, ping. On presence it sends the messages it holds; it records everything it is sent.
// A `route` (a fake room, a fake remote domain, the IQ handlers of fake-archive.ts made a route by
// iqRoute) sees each stanza first and may answer it instead. A test may also deliver stanzas to the
// clients at any moment, and answer their messages (onMessage) as a recipient would; each
// connection records the stanzas it was sent after <enabled/>, which an <a h="n"/> from the client
// covers the first n of. With a `flood` (bench/drain-profile.ts) it sends a large backlog the way
// a real server does: paced by the client's reading (TCP backpressure), asking for acknowledgements
// with <r/>, answering what the client sends meanwhile only after the backlog.
import { once } from 'node:events';
import { createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { Parser, type Element } from '@xmpp/xml';
import { openSession, type Session, type SessionOptions } from '../../xmpp/session.ts';
import { cert, key } from './fixtures/tls.ts';

export const PASSWORD = 'secret';
const NS = {
  stream: 'http://etherx.jabber.org/streams',
  tls: 'urn:ietf:params:xml:ns:xmpp-tls',
  sasl: 'urn:ietf:params:xml:ns:xmpp-sasl',
  sm: 'urn:xmpp:sm:3',
};

/** Answers a stanza the client sent (true: handled, the server does nothing more with it); `send` writes to that client. */
export type Route = (stanza: Element, send: (text: string) => void) => boolean;

/**
 * Answers an IQ the server does not know by itself: the reply as XML, with whatever stanzas the
 * server sends before it (MAM results precede their <fin/>), or undefined to leave it to the next.
 */
export type IqHandler = (iq: Element) => string | undefined;

/** IQ handlers as one route: the first that answers wins. */
export function iqRoute(handlers: readonly IqHandler[]): Route {
  return (stanza, send) => {
    if (!stanza.is('iq')) return false;
    for (const handler of handlers) {
      const reply = handler(stanza);
      if (reply !== undefined) {
        send(reply);
        return true;
      }
    }
    return false;
  };
}

export interface FakeServer {
  port: number;
  /** Every element the client sent, as XML, in order. */
  received: string[];
  /** Writes to the latest connection: what a room or another user sends unasked. */
  push(text: string): void;
  /** Drops every connection, as a server restart would; the port stays open. */
  drop(): void;
  /** Each client connection, in the order they came. */
  connections: FakeConnection[];
  /** Sends a stanza (XML) to every client connected, as the server would route it to them. */
  deliver(text: string): void;
  close(): void;
}

export interface FakeConnection {
  /** The full JID bound, once bound. */
  jid?: string;
  /** Stanzas sent to the client after <enabled/>: an <a h="n"/> acknowledges the first n. */
  counted: string[];
  /** The latest h of the client's <a/>: how many of `counted` it acknowledged. */
  acked: number;
  write(text: string): void;
}

/** A stored backlog as a real server sends it on the client's presence. */
export interface Flood {
  /** The stanzas (XML), in place of the offline bodies. */
  stanzas: readonly string[];
  /**
   * 'each': one write (one TLS record) per stanza, as ejabberd's session process sends them;
   * 'batched': stanzas joined into writes of about 16 kB, as Prosody's buffered connection sends.
   * Either way an <r/> follows a write while no request is outstanding, as both servers ask.
   */
  writes: 'each' | 'batched';
}

export interface FakeServerOptions {
  /** Called with each message a client sends; `reply` writes to that client. */
  onMessage?: (message: Element, reply: (text: string) => void) => void;
  /** Sees each stanza after login first; true: answered, the server does nothing more with it. */
  route?: Route;
  /** Sent on presence instead of the offline bodies. */
  flood?: Flood;
  /** Offers PLAIN after SCRAM-SHA-1 (for a client that knows no SCRAM: go-sendxmpp). */
  plain?: boolean;
  /** Sees every element a client sends (after login too), before the server acts on it. */
  onElement?: (element: Element, connection: FakeConnection) => void;
}

const isStanza = (text: string) => /^<(message|presence|iq)[\s>/]/.test(text);

const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64');
const header = `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='${NS.stream}' id='s' from='example.org' version='1.0'>`;
const features = ['<starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"><required/></starttls>', `<mechanisms xmlns="${NS.sasl}"><mechanism>SCRAM-SHA-1</mechanism></mechanisms>`, `<bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"/><sm xmlns="${NS.sm}"/>`];

/** One client connection: the stream restarts after STARTTLS and after SASL (stage 0, 1, 2). */
class Connection implements FakeConnection {
  private stage = 0;
  private scram: { bare: string; serverFirst: string; salt: Buffer } | undefined;
  jid?: string;
  readonly counted: string[] = [];
  acked = 0;
  private enabled = false;
  /** While a flood is being sent, what else the server writes waits here, behind it. */
  private behindFlood: string[] | undefined;
  private awaitingAck = false;

  constructor(
    private socket: net.Socket | tls.TLSSocket,
    private readonly offline: string[],
    private readonly received: string[],
    private readonly options: FakeServerOptions = {},
  ) {
    this.listen();
  }

  write(text: string): void {
    if (this.socket.destroyed) return;
    if (this.enabled && isStanza(text)) this.counted.push(text);
    if (this.behindFlood) this.behindFlood.push(text);
    else this.socket.write(text);
  }

  /** Writes the backlog as fast as the client reads it, then what was answered meanwhile. */
  private async flood({ stanzas, writes }: Flood): Promise<void> {
    this.behindFlood = [];
    const closed = once(this.socket, 'close').catch(() => {});
    const limit = writes === 'each' ? 0 : 16_384;
    for (let i = 0; i < stanzas.length && !this.socket.destroyed; ) {
      const first = i;
      let text = '';
      do text += stanzas[i++];
      while (i < stanzas.length && text.length < limit);
      if (this.enabled) this.counted.push(...stanzas.slice(first, i));
      if (this.enabled && !this.awaitingAck) {
        this.awaitingAck = true;
        text += `<r xmlns='${NS.sm}'/>`;
      }
      if (!this.socket.write(text)) await Promise.race([once(this.socket, 'drain'), closed]);
    }
    const rest = this.behindFlood;
    this.behindFlood = undefined;
    if (!this.socket.destroyed && rest.length) this.socket.write(rest.join(''));
  }

  private listen(): void {
    const parser = new Parser();
    const offered = this.stage === 1 && this.options.plain ? features[1]!.replace('</mechanisms>', '<mechanism>PLAIN</mechanism></mechanisms>') : features[this.stage];
    parser.on('start', () => this.socket.write(`${header}<stream:features>${offered}</stream:features>`));
    parser.on('element', (element: Element) => this.onElement(element));
    parser.on('end', () => this.socket.end('</stream:stream>'));
    // A TLS write can read the socket at once: an answer written while an element is handled must
    // not feed the parser the next element before it has finished with this one.
    const queue: string[] = [];
    let parsing = false;
    this.socket.on('data', (data: Buffer) => {
      queue.push(data.toString('utf8'));
      if (parsing) return;
      parsing = true;
      try {
        while (queue.length) parser.write(queue.shift()!);
      } finally {
        parsing = false;
      }
    });
  }

  /** A new stream, over TLS from now on when `secure`. */
  private restart(secure = false): void {
    this.socket.removeAllListeners('data');
    if (secure) this.socket = new tls.TLSSocket(this.socket, { isServer: true, key, cert });
    this.stage += 1;
    this.listen();
  }

  private onElement(element: Element): void {
    this.options.onElement?.(element, this);
    if (element.is('a', NS.sm)) {
      this.acked = Number(element.attrs.h);
      this.awaitingAck = false;
    }
    this.received.push(String(element));
    const send = (text: string) => this.write(text);
    if (this.stage === 2 && this.options.route?.(element, send)) return;
    if (element.is('starttls', NS.tls)) {
      send(`<proceed xmlns='${NS.tls}'/>`);
      this.restart(true);
    } else if (element.is('auth', NS.sasl) && element.attrs.mechanism === 'PLAIN') {
      const [, , password] = Buffer.from(element.text(), 'base64').toString('utf8').split('\0');
      send(password === PASSWORD ? `<success xmlns='${NS.sasl}'/>` : `<failure xmlns='${NS.sasl}'><not-authorized/></failure>`);
      if (password === PASSWORD) this.restart();
    } else if (element.is('auth', NS.sasl)) {
      const bare = Buffer.from(element.text(), 'base64').toString('utf8').slice(3);
      const salt = randomBytes(12);
      this.scram = { bare, salt, serverFirst: `r=${/r=([^,]+)/.exec(bare)![1]}srv,s=${salt.toString('base64')},i=4096` };
      send(`<challenge xmlns='${NS.sasl}'>${b64(this.scram.serverFirst)}</challenge>`);
    } else if (element.is('response', NS.sasl)) {
      const { bare, serverFirst, salt } = this.scram!;
      const withoutProof = Buffer.from(element.text(), 'base64').toString('utf8').replace(/,p=.*$/, '');
      const serverKey = createHmac('sha1', pbkdf2Sync(PASSWORD, salt, 4096, 20, 'sha1')).update('Server Key').digest();
      const signature = createHmac('sha1', serverKey).update(`${bare},${serverFirst},${withoutProof}`).digest('base64');
      send(`<success xmlns='${NS.sasl}'>${b64(`v=${signature}`)}</success>`);
      this.restart();
    } else if (element.is('iq')) {
      const bind = element.getChild('bind');
      if (bind) this.jid = `alice@example.org/${bind.getChildText('resource') || 'res'}`;
      const payload = bind ? `<bind xmlns='${bind.getNS()}'><jid>${this.jid}</jid></bind>` : '';
      send(`<iq type='result' id='${element.attrs.id}' from='example.org'>${payload}</iq>`);
    } else if (element.is('enable', NS.sm)) {
      send(`<enabled xmlns='${NS.sm}' id='sm1'/>`);
      this.enabled = true;
    } else if (element.is('presence') && this.options.flood) {
      void this.flood(this.options.flood);
    } else if (element.is('presence')) {
      for (const [i, body] of this.offline.entries()) send(`<message from='bob@example.org/x' type='chat' id='o${i}'><body>${body}</body></message>`);
    } else if (element.is('message')) {
      this.options.onMessage?.(element, send);
    }
  }
}

export async function fakeServer(offline: string[] = [], options: FakeServerOptions = {}): Promise<FakeServer> {
  const received: string[] = [];
  const sockets: net.Socket[] = [];
  const connections: Connection[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    connections.push(new Connection(socket, offline, received, options));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const drop = () => sockets.splice(0).forEach((socket) => socket.destroy());
  return {
    port: (server.address() as net.AddressInfo).port,
    received,
    push: (text) => connections.at(-1)?.write(text),
    drop,
    connections,
    deliver: (text) => connections.forEach((connection) => connection.write(text)),
    close: () => {
      drop();
      server.close();
    },
  };
}

export type Login = (extra?: Partial<SessionOptions>) => Promise<Session>;

/** A fake server holding `offline` (answering through `route` first, or as `options` say), and a login to it as alice trusting the fixture CA. */
export async function withFakeServer(
  offline: string[],
  route: Route | FakeServerOptions | undefined,
  fn: (server: FakeServer, login: Login) => Promise<void>,
): Promise<void> {
  const server = await fakeServer(offline, typeof route === 'function' ? { route } : route);
  const dir = await mkdtemp(path.join(tmpdir(), 'fake-xmpp-'));
  try {
    const caFile = path.join(dir, 'ca.pem');
    await writeFile(caFile, cert);
    const where = { host: '127.0.0.1', port: server.port };
    await fn(server, (extra = {}) => openSession({ jid: 'alice@example.org', password: PASSWORD, server: where, caFile, ...extra }));
  } finally {
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

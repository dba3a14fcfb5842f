// A small XMPP server on loopback for the session's tests: STARTTLS with the fixture certificate,
// SCRAM-SHA-1 for user "alice" with password "secret", resource binding, XEP-0198 without
// resumption, ping. On presence it sends the messages it holds; it records everything it is sent.
// A `route` (a fake room, a fake remote domain, the IQ handlers of fake-archive.ts made a route by
// iqRoute) sees each stanza first and may answer it instead. A test may also deliver stanzas to the
// clients at any moment, and answer their messages (onMessage) as a recipient would; each
// connection records the stanzas it was sent after <enabled/>, which an <a h="n"/> from the client
// covers the first n of.
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
  write(text: string): void;
}

export interface FakeServerOptions {
  /** Called with each message a client sends; `reply` writes to that client. */
  onMessage?: (message: Element, reply: (text: string) => void) => void;
  /** Sees each stanza after login first; true: answered, the server does nothing more with it. */
  route?: Route;
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
  private enabled = false;

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
    this.socket.write(text);
  }

  private listen(): void {
    const parser = new Parser();
    parser.on('start', () => this.socket.write(`${header}<stream:features>${features[this.stage]}</stream:features>`));
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
    this.received.push(String(element));
    const send = (text: string) => this.write(text);
    if (this.stage === 2 && this.options.route?.(element, send)) return;
    if (element.is('starttls', NS.tls)) {
      send(`<proceed xmlns='${NS.tls}'/>`);
      this.restart(true);
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

/** A fake server holding `offline` (answering through `route` first), and a login to it as alice trusting the fixture CA. */
export async function withFakeServer(offline: string[], route: Route | undefined, fn: (server: FakeServer, login: Login) => Promise<void>): Promise<void> {
  const server = await fakeServer(offline, { route });
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

// A small XMPP server on loopback for the session's tests: STARTTLS with the fixture certificate,
// SCRAM-SHA-1 for user "alice" with password "secret", resource binding, XEP-0198 without
// resumption, ping. On presence it sends the messages it holds; it records everything it is sent.
// A test may also deliver stanzas to the clients at any moment, and answer their messages (onMessage)
// as a recipient would; each connection records the stanzas it was sent after <enabled/>, which an
// <a h="n"/> from the client covers the first n of.
import { createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { Parser, type Element } from '@xmpp/xml';
import { cert, key } from './fixtures/tls.ts';

export const PASSWORD = 'secret';
const NS = {
  stream: 'http://etherx.jabber.org/streams',
  tls: 'urn:ietf:params:xml:ns:xmpp-tls',
  sasl: 'urn:ietf:params:xml:ns:xmpp-sasl',
  sm: 'urn:xmpp:sm:3',
};

export interface FakeServer {
  port: number;
  /** Every element the client sent, as XML, in order. */
  received: string[];
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
    this.socket.on('data', (data: Buffer) => parser.write(data.toString('utf8')));
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
  return {
    port: (server.address() as net.AddressInfo).port,
    received,
    connections,
    deliver: (text) => connections.forEach((connection) => connection.write(text)),
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

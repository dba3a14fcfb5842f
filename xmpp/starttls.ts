// STARTTLS is required: every <stream:features/> before TLS must offer it, or the session ends
// before anything else is sent. Never plaintext, not even for a server that offers no TLS.
import { EventEmitter, once } from 'node:events';
import type { Duplex } from 'node:stream';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import type { Client } from '@xmpp/client-core';
import type { MiddlewareStack } from '@xmpp/middleware';
import type xmlFactory from '@xmpp/xml';
import { answerIsIpFast, attachSocket } from './adapter.ts';
import { UnavailableError } from './errors.ts';
import type { Trust } from './trust.ts';

export const NS_STREAM = 'http://etherx.jabber.org/streams';
const NS_TLS = 'urn:ietf:params:xml:ns:xmpp-tls';

/** What of the entity STARTTLS uses. */
export type StartTlsEntity = Pick<Client, 'isSecure' | 'sendReceive' | 'restart'>;

export interface StartTlsOptions {
  /** The JID's domain: the name the certificate must hold. */
  domain: string;
  where: string;
  trust: Trust;
  /** Accept any certificate: encryption stays on, authentication of the server is gone. */
  insecure: boolean;
  progress: (text: string) => void;
  /** Wraps the stream's TCP socket in TLS and puts it under the stream; resolves after the handshake. */
  upgrade: (tls: ConnectionOptions) => Promise<TLSSocket>;
}

export function requireStartTls(
  deps: { entity: StartTlsEntity; middleware: MiddlewareStack; xml: typeof xmlFactory },
  options: StartTlsOptions,
): void {
  const { entity, xml } = deps;
  const { where, progress } = options;
  deps.middleware.use(async ({ stanza }, next) => {
    if (!stanza.is('features', NS_STREAM) || entity.isSecure()) return next();
    if (!stanza.getChild('starttls', NS_TLS)) {
      throw new UnavailableError(`${where} does not offer STARTTLS: refusing to continue without TLS`);
    }
    progress('starting TLS');
    const answer = await entity.sendReceive(xml('starttls', { xmlns: NS_TLS }));
    if (!answer.is('proceed', NS_TLS)) throw new UnavailableError(`${where} refused STARTTLS`);
    const socket = await options.upgrade({ servername: options.domain, ...options.trust, rejectUnauthorized: !options.insecure });
    progress(`TLS ${socket.getProtocol()} established${options.insecure ? ' (certificate NOT verified)' : ''}`);
    await entity.restart();
  });
}

/**
 * The TLS socket as xmpp.js's stream expects a socket: `secure`, and its events passed on. Its data
 * comes decoded: xmpp.js decodes each chunk by itself, which garbles a character whose UTF-8 bytes
 * two TLS records split (Prosody's 16 kB writes do, in any backlog with text beyond ASCII).
 */
class SecureSocket extends EventEmitter {
  readonly secure = true;
  constructor(readonly socket: TLSSocket) {
    super();
    socket.setEncoding('utf8');
    for (const event of ['data', 'close', 'error']) socket.on(event, (value: unknown) => this.emit(event, value));
  }
  write(data: string, done: (error?: Error | null) => void): void {
    this.socket.write(data, done);
  }
  end(): void {
    this.socket.end();
  }
}

/** The real upgrade: TLS over the entity's TCP socket, which then carries the stream. */
export async function upgradeToTls(entity: Client, tls: ConnectionOptions): Promise<TLSSocket> {
  answerIsIpFast();
  const socket = connect({ socket: entity.socket as unknown as Duplex, ...tls });
  await once(socket, 'secureConnect');
  // As @xmpp/tls does: a pause before the stream header over TLS 1.3 works around Openfire
  // (xmpp.js issue 889).
  if (socket.getProtocol() === 'TLSv1.3') await new Promise((resolve) => setTimeout(resolve, 1));
  attachSocket(entity, new SecureSocket(socket));
  return socket;
}

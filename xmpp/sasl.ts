// Authentication: SCRAM-SHA-256, then SCRAM-SHA-1, then PLAIN, whichever the server offers first in
// that order; never before TLS (so PLAIN never shows the password), and a SCRAM login counts only
// once the server has proved that it knows the password too.
import type { EventEmitter } from 'node:events';
import type { Element } from '@xmpp/xml';
import type { StreamFeatures } from '@xmpp/stream-features';
import type sasl from '@xmpp/sasl';
import type SASLFactory from 'saslmechanisms';
import { AuthError, UnavailableError } from './errors.ts';
import { Plain, ScramSha1, ScramSha256, type Scram } from './scram.ts';

const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';

/** What of the entity authentication uses. */
export type SaslEntity = EventEmitter & { isSecure(): boolean };

export interface SaslDeps {
  entity: SaslEntity;
  streamFeatures: StreamFeatures;
  sasl: typeof sasl;
  SASLFactory: typeof SASLFactory;
}

export interface SaslOptions {
  username: string;
  password: string;
  where: string;
  progress: (text: string) => void;
  /** Ends the session: the server did not prove that it knows the password. */
  fail: (error: Error) => void;
}

export function authenticate(deps: SaslDeps, options: SaslOptions): void {
  const { entity } = deps;
  // The SCRAM instance @xmpp/sasl creates is kept, to check the server's signature on <success/>.
  let scram: Scram | undefined;
  // A server may send its final message (v=) as a last <challenge/>: a signature that does not
  // match is then thrown from there, through @xmpp/sasl, and must still fail as authentication.
  const keep = (mechanism: Scram) => {
    scram = mechanism;
    const challenge = mechanism.challenge.bind(mechanism);
    mechanism.challenge = (data: string) => {
      try {
        return challenge(data);
      } catch (error) {
        throw new AuthError(`${options.where}: ${(error as Error).message}`);
      }
    };
  };
  const factory = new deps.SASLFactory()
    .use('SCRAM-SHA-256', class extends ScramSha256 { constructor() { super(); keep(this); } })
    .use('SCRAM-SHA-1', class extends ScramSha1 { constructor() { super(); keep(this); } })
    .use('PLAIN', Plain);
  // @xmpp/sasl takes <success/> as success; its data (RFC 6120 6.3.10) carries SCRAM's v=.
  entity.on('nonza', (element: Element) => {
    if (!element.is('success', NS_SASL) || !scram || scram.serverVerified) return;
    try {
      scram.verifyServerFinal(Buffer.from(element.text(), 'base64').toString('utf8'));
    } catch (error) {
      options.fail(new AuthError(`${options.where}: ${(error as Error).message}`));
    }
  });
  deps.sasl({ streamFeatures: deps.streamFeatures, saslFactory: factory }, async (done, mechanisms) => {
    if (!entity.isSecure()) throw new UnavailableError('refusing to authenticate without TLS');
    options.progress(`authenticating with ${mechanisms[0]}`);
    await done({ username: options.username, password: options.password }, mechanisms[0]!);
  });
}

// SASL mechanisms in the shape the `saslmechanisms` factory (used by @xmpp/sasl) expects.
// Replace sasl-scram-sha-1, whose pure-JavaScript PBKDF2 takes over a second for Prosody's
// 10000 iterations (node:crypto does it in milliseconds), and sasl-plain, whose result btoa()
// rejects for any non-Latin-1 password. @xmpp/sasl base64-encodes with btoa(), so every
// response here is a "binary string": one character per UTF-8 byte.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

interface Credentials {
  username: string;
  password: string;
}

const binary = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
const fromBinary = (text: string) => Buffer.from(text, 'latin1').toString('utf8');

export class Plain {
  readonly name = 'PLAIN';
  readonly clientFirst = true;
  response(credentials: Credentials): string {
    return binary(`\0${credentials.username}\0${credentials.password}`);
  }
  challenge(): this {
    return this;
  }
}

type Hash = 'sha1' | 'sha256';

/** RFC 5802 SCRAM without channel binding ("n,,"), for SHA-1 and SHA-256 (RFC 7677). */
export abstract class Scram {
  abstract readonly name: string;
  protected abstract readonly hash: Hash;
  readonly clientFirst = true;
  private step = 0;
  private readonly clientNonce: string;
  private clientFirstBare = '';
  private serverFirst = '';
  private expectedServerSignature: Buffer | undefined;
  /** True once the server proved it knows the password too (its v= matched). */
  serverVerified = false;

  constructor(nonce: string = randomBytes(18).toString('base64')) {
    this.clientNonce = nonce;
  }

  response(credentials: Credentials): string {
    this.step += 1;
    if (this.step === 1) {
      // RFC 5802 5.1: "=" and "," in the name are escaped.
      const user = credentials.username.replace(/=/g, '=3D').replace(/,/g, '=2C');
      this.clientFirstBare = `n=${user},r=${this.clientNonce}`;
      return binary(`n,,${this.clientFirstBare}`);
    }
    if (this.step === 2) return binary(this.clientFinal(credentials.password));
    return '';
  }

  challenge(data: string): this {
    const text = fromBinary(data);
    if (this.serverFirst === '') {
      this.serverFirst = text;
    } else {
      this.verifyServerFinal(text);
    }
    return this;
  }

  private clientFinal(password: string): string {
    const attrs = parseAttributes(this.serverFirst);
    const nonce = attrs.get('r');
    const salt = attrs.get('s');
    const iterations = Number(attrs.get('i'));
    if (!nonce?.startsWith(this.clientNonce) || !salt || !Number.isInteger(iterations) || iterations < 1) {
      throw new Error('SCRAM: malformed server-first-message');
    }
    const size = createHash(this.hash).digest().length;
    const salted = pbkdf2Sync(Buffer.from(password, 'utf8'), Buffer.from(salt, 'base64'), iterations, size, this.hash);
    const clientKey = this.hmac(salted, 'Client Key');
    const storedKey = createHash(this.hash).update(clientKey).digest();
    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const signature = this.hmac(storedKey, authMessage);
    const proof = Buffer.from(clientKey.map((byte, i) => byte ^ signature[i]!));
    this.expectedServerSignature = this.hmac(this.hmac(salted, 'Server Key'), authMessage);
    return `${withoutProof},p=${proof.toString('base64')}`;
  }

  /** Checks the server's v= (sent as a challenge or with <success/>); throws on a mismatch. */
  verifyServerFinal(text: string): void {
    const signature = Buffer.from(parseAttributes(text).get('v') ?? '', 'base64');
    const expected = this.expectedServerSignature;
    if (!expected || signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
      throw new Error('SCRAM: the server could not prove it knows the password');
    }
    this.serverVerified = true;
  }

  private hmac(key: Buffer, text: string): Buffer {
    return createHmac(this.hash, key).update(text).digest();
  }
}

function parseAttributes(text: string): Map<string, string> {
  return new Map(text.split(',').map((part) => [part.slice(0, 1), part.slice(2)] as [string, string]));
}

export class ScramSha1 extends Scram {
  readonly name = 'SCRAM-SHA-1';
  protected readonly hash = 'sha1';
}

export class ScramSha256 extends Scram {
  readonly name = 'SCRAM-SHA-256';
  protected readonly hash = 'sha256';
}

// The XMPP library's failures, each a type of its own, and classify(), which maps what the packages
// underneath throw onto them. A command maps these types to its exit statuses (cli/errors.ts).
import type { Element } from '@xmpp/xml';

export abstract class XmppError extends Error {}

/** The caller's own configuration cannot work (a CA file that cannot be read or holds no certificate). */
export class ConfigError extends XmppError {
  override name = 'ConfigError';
}

/** Data no server could accept: an invalid JID, a stanza the server refused as too big. */
export class DataError extends XmppError {
  override name = 'DataError';
}

/** The service cannot be used: unresolvable, no STARTTLS, an untrusted certificate, a stanza error. */
export class UnavailableError extends XmppError {
  override name = 'UnavailableError';
}

/** The server (or the entity asked) does not offer a protocol the work needs: MAM, XEP-0013. */
export class NotSupportedError extends UnavailableError {
  override name = 'NotSupportedError';
}

/** The server could not be reached at all: the one failure after which the next address is tried. */
export class UnreachableError extends UnavailableError {
  override name = 'UnreachableError';
}

/** The server's certificate does not verify against the trusted CAs; `code` is OpenSSL's reason. */
export class UntrustedCertificateError extends UnavailableError {
  override name = 'UntrustedCertificateError';
  constructor(
    where: string,
    readonly code: string,
  ) {
    super(`TLS: ${where} presented a certificate we do not trust (${code})`);
  }
}

/** A stanza error the server (or the recipient's server) returned for something we sent. */
export class RecipientError extends UnavailableError {
  override name = 'RecipientError';
  constructor(
    readonly recipient: string,
    readonly condition: string,
    readonly text?: string,
  ) {
    super(`${recipient}: ${condition}${text ? ` (${text})` : ''}`);
  }
}

/** The defined condition and text of an error stanza's <error/> (RFC 6120 8.3). */
export function stanzaErrorOf(stanza: Element): { condition: string; text?: string } {
  const error = stanza.getChild('error');
  const condition = error?.getChildElements().find((child) => child.name !== 'text')?.name ?? 'undefined-condition';
  return { condition, text: error?.getChildText('text') ?? undefined };
}

/**
 * A multi-user chat room (XEP-0045) refused a join or a message, or does not exist; `condition` is
 * its stanza error, `why` says it in a user's words. The subclasses are the refusals a caller
 * tells apart from those a retry may cure.
 */
export class RoomError extends RecipientError {
  override name = 'RoomError';
  constructor(room: string, condition: string, why: string, text?: string) {
    super(room, condition, text);
    this.message = `${room}: ${why} (${condition}${text ? `: ${text}` : ''})`;
  }
}

/** The room will not have us, or not hear us: not a member, banned, a wrong or missing password, no voice. */
export class RoomForbiddenError extends RoomError {
  override name = 'RoomForbiddenError';
}

/** Someone else has our nick in the room. */
export class NickConflictError extends RoomError {
  override name = 'NickConflictError';
}

/** A bounded wait ran out. */
export class TimeoutError extends XmppError {
  override name = 'TimeoutError';
}

/** The server refused the credentials, or could not prove that it knows them. */
export class AuthError extends XmppError {
  override name = 'AuthError';
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

/** Maps whatever the packages underneath threw onto the types above; `where` names the server. */
export function classify(error: unknown, where: string): XmppError | Error {
  if (error instanceof XmppError) return error;
  const err = error as Error & { code?: string; condition?: string; text?: string };
  const detail = err.text ? ` (${err.text})` : '';
  if (err.name === 'SASLError') return new AuthError(`authentication failed at ${where}: ${err.condition}${detail}`);
  if (err.name === 'StreamError') {
    const text = `${where} closed the stream: ${err.condition}${detail}`;
    // Both Prosody and ejabberd answer an oversized stanza with policy-violation.
    if (err.condition === 'policy-violation') return new DataError(text);
    if (err.condition === 'host-unknown' || err.condition === 'host-gone') return new UnavailableError(text);
    return new Error(text);
  }
  if (err.code && tlsTrustErrors.has(err.code)) return new UntrustedCertificateError(where, err.code);
  if (err.code === 'ECONNREFUSED') return new UnreachableError(`cannot connect to ${where}: connection refused`);
  if (err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH' || err.code === 'EADDRNOTAVAIL') {
    return new UnreachableError(`cannot connect to ${where}: ${err.code === 'EHOSTUNREACH' ? 'host' : 'network'} unreachable`);
  }
  if (err.code === 'ECONNRESET' || err.code === 'EPIPE') return new Error(`connection to ${where} lost (${err.code})`);
  return err instanceof Error ? err : new Error(String(error));
}

// Every failure rsxcc can report, and the one table that maps it to a sysexits(3) status.
// Library code (session, send, unread) throws these; only main.ts turns them into an exit.

export const ExitCode = {
  ok: 0,
  usage: 64, // EX_USAGE: bad options
  data: 65, // EX_DATAERR: invalid JID, a body XML cannot carry, a message the server refused as too big
  unavailable: 69, // EX_UNAVAILABLE: server unreachable, TLS not possible, recipient error
  tempfail: 75, // EX_TEMPFAIL: a bounded wait ran out
  noperm: 77, // EX_NOPERM: authentication failed
} as const;

export type ExitStatus = (typeof ExitCode)[keyof typeof ExitCode];

export abstract class RsxccError extends Error {
  abstract readonly exitCode: ExitStatus;
}

export class UsageError extends RsxccError {
  override name = 'UsageError';
  readonly exitCode = ExitCode.usage;
}

export class DataError extends RsxccError {
  override name = 'DataError';
  readonly exitCode = ExitCode.data;
}

export class UnavailableError extends RsxccError {
  override name = 'UnavailableError';
  readonly exitCode = ExitCode.unavailable;
}

/** A stanza error the server (or the recipient's server) returned for something we sent. */
export class RecipientError extends UnavailableError {
  override name = 'RecipientError';
  constructor(
    readonly recipient: string,
    readonly condition: string,
    text?: string,
  ) {
    super(`${recipient}: ${condition}${text ? ` (${text})` : ''}`);
  }
}

export class TimeoutError extends RsxccError {
  override name = 'TimeoutError';
  readonly exitCode = ExitCode.tempfail;
}

export class AuthError extends RsxccError {
  override name = 'AuthError';
  readonly exitCode = ExitCode.noperm;
}

/** Anything not classified is a temporary failure: a retry may well succeed (lost connection, stream error). */
export function exitCodeOf(error: unknown): ExitStatus {
  return error instanceof RsxccError ? error.exitCode : ExitCode.tempfail;
}

/** One line, no stack: what the user reads on stderr. */
export function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message || error.name : String(error);
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

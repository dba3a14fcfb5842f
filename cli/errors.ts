// rsxcc's failures: its own usage errors, the XMPP library's typed failures, and the one table that
// maps each to a sysexits(3) status and says it in rsxcc's terms. Only main.ts turns them into an exit.
import {
  AuthError,
  ConfigError,
  DataError,
  NickConflictError,
  RoomForbiddenError,
  TimeoutError,
  UnavailableError,
  UntrustedCertificateError,
} from '../xmpp/errors.ts';

export const ExitCode = {
  usage: 64, // EX_USAGE: bad options
  data: 65, // EX_DATAERR: invalid JID, a body XML cannot carry, a message the server refused as too big, our nick taken in a room
  unavailable: 69, // EX_UNAVAILABLE: server unreachable, TLS not possible, recipient error, no such room
  tempfail: 75, // EX_TEMPFAIL: a bounded wait ran out
  noperm: 77, // EX_NOPERM: authentication failed, a room that will not have us or hear us
} as const;

export type ExitStatus = (typeof ExitCode)[keyof typeof ExitCode];

/** Several recipients failed, listed in command-line order; the first one's status is the exit status. */
export class Failures extends Error {
  override name = 'Failures';
  constructor(readonly errors: readonly Error[]) {
    super(`${errors.length} recipients failed: ${errors.map((error) => error.message).join('; ')}`);
  }
}

/** The command line, the config file or a password source cannot work. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** -q: the server confirmed the request, but no reply came within -W. */
export class NoReplyError extends Error {
  override name = 'NoReplyError';
}

/** -R: the command cannot be found or is not executable, so the responder does not start. */
export class MissingCommandError extends Error {
  override name = 'MissingCommandError';
}

type ErrorClass = abstract new (...args: never[]) => Error;

// First match wins: a subclass shares its parent's row (RecipientError is an UnavailableError)
// unless it has one of its own before it (the room refusals are RecipientErrors too).
const statuses: ReadonlyArray<readonly [ErrorClass, ExitStatus]> = [
  [UsageError, ExitCode.usage],
  [ConfigError, ExitCode.usage],
  [DataError, ExitCode.data],
  [NickConflictError, ExitCode.data],
  [RoomForbiddenError, ExitCode.noperm],
  [UnavailableError, ExitCode.unavailable],
  [TimeoutError, ExitCode.tempfail],
  [NoReplyError, ExitCode.tempfail],
  [MissingCommandError, ExitCode.unavailable],
  [AuthError, ExitCode.noperm],
];

/** Anything not classified is a temporary failure: a retry may well succeed (lost connection, stream error). */
export function exitCodeOf(error: unknown): ExitStatus {
  if (error instanceof Failures) return exitCodeOf(error.errors[0]);
  return statuses.find(([type]) => error instanceof type)?.[1] ?? ExitCode.tempfail;
}

/** The error's message, with what to do about it where rsxcc has an option for that. */
export function explain(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error instanceof UntrustedCertificateError ? `${error.message}: pass its CA with -a CAFILE` : error.message;
}

/** One line, no stack: what the user reads on stderr. */
export function oneLine(error: unknown): string {
  const text = error instanceof Error && !error.message ? error.name : explain(error);
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

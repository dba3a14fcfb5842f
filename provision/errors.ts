// chatlab's failures, typed, and the one table from outcome to exit status (sysexits(3) where one
// fits). `chatlab -h`, chatlab(1) and README's list come from, or are checked against, EXIT_STATUSES.
import { GetoptError } from '../argv/getopt.ts';
import { ModelError } from './validate.ts';

export const EX = {
  ok: 0,
  found: 1,
  down: 3,
  usage: 64,
  data: 65,
  unavailable: 69,
  software: 70,
  osErr: 71,
  tempFail: 75,
  noPerm: 77,
} as const;

export type ExitStatus = (typeof EX)[keyof typeof EX];

/** What each status means, for -h, chatlab(1) and README (a test holds them to this). */
export const EXIT_STATUSES: readonly (readonly [ExitStatus, string])[] = [
  [EX.ok, 'done'],
  [EX.found, 'generate --check found a stale, missing or no longer generated file; load: the run had errors (or, without --kill, dropped sessions)'],
  [EX.down, 'status: the lab is not up'],
  [EX.usage, 'usage: an unknown command or option, a bad value, a host the lab does not have'],
  [EX.data, 'bad model (provision/lab.ts, or the overrides of a named lab), or generated assets that are stale'],
  [EX.unavailable, 'the lab is not up; a command a step needs is missing (packages --check, up, box); the subnet or address is in use elsewhere; kill HOST SERVICE: no such service runs'],
  [EX.software, 'internal error (a bug in chatlab)'],
  [EX.osErr, 'a system command chatlab ran failed; the message names it and its last lines on stderr'],
  [EX.tempFail, 'provisioning or a login failed or timed out; a command ran out of its time'],
  [EX.noPerm, 'not root (the lab commands, load and box need it; generate, secrets, packages and box hash do not)'],
];

/** chatlab exec HOST -- CMD exits with CMD's own status instead (128 + N: ended by signal N). */
export const EXEC_STATUS = "exec: the command's own exit status (128 + N when signal N ended it)";

export class LabError extends Error {
  constructor(message: string, readonly exitCode: ExitStatus = EX.software) {
    super(message);
    this.name = 'LabError';
  }
}

/** A command chatlab ran (provision/run.ts) could not start, ran out of time, or failed. */
export class CommandError extends LabError {
  constructor(message: string, exitCode: ExitStatus, readonly argv: readonly string[]) {
    super(message, exitCode);
    this.name = 'CommandError';
  }
}

export const usageError = (message: string) => new LabError(message, EX.usage);

/** The one mapping from a failure to an exit status. */
export function exitStatusOf(error: unknown): ExitStatus {
  if (error instanceof LabError) return error.exitCode;
  if (error instanceof GetoptError) return EX.usage;
  if (error instanceof ModelError) return EX.data;
  return EX.software;
}

/** What the person reads: the message; for an unexpected failure, that it is one (never a stack). */
export function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return exitStatusOf(error) === EX.software && !(error instanceof LabError) ? `internal error: ${message}` : message;
}

// Every command chatlab (and the bench) runs goes through here, over execa: the caller's few
// options become execa's in one place, every run is bounded, every result has one shape, and a
// failure becomes a CommandError in one place, naming the command and its last words on stderr.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { constants } from 'node:os';
import { execa, type Options as ExecaOptions, type Result } from 'execa';
import { CommandError, EX } from './errors.ts';

/** Where a command's output goes. */
export type Output =
  /** Both captured (the default). */
  | 'capture'
  /** Both captured, and stderr shown on ours as it comes: a long step's progress. */
  | 'tee'
  /** stdout discarded, stderr shown on ours (and kept for the error): a script whose daemons may
   *  hold stdout open, so waiting for it to close would wait for them. */
  | 'progress'
  /** stdout and stderr are ours; nothing captured. */
  | 'inherit'
  /** stdin too: a person's own command (`chatlab exec`). */
  | 'interactive'
  /** Both appended to this file. */
  | { logFile: string };

export interface RunOptions {
  /** The bound on the run: SIGTERM, then SIGKILL 5 s later. Infinity only for a person's own command. */
  timeoutMs: number;
  /** Text for stdin. Without it a command gets /dev/null: nothing chatlab runs may wait on a terminal. */
  input?: string;
  /** Added to the environment, or with cleanEnv the whole of it (a chroot'ed program must not see ours). */
  env?: Record<string, string>;
  cleanEnv?: boolean;
  cwd?: string;
  output?: Output;
  /** false: a non-zero exit or the time limit is the answer, returned; a command that cannot start still throws. */
  check?: boolean;
  /** Aborted: the command is ended as at its time limit (SIGTERM, then SIGKILL). */
  signal?: AbortSignal;
}

export interface RunResult {
  /** 128 + N when a signal N ended it, as a shell reports it. */
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  ms: number;
}

const STREAMS: Record<Exclude<Output, { logFile: string }>, Pick<ExecaOptions, 'stdout' | 'stderr'>> = {
  capture: { stdout: 'pipe', stderr: 'pipe' },
  tee: { stdout: 'pipe', stderr: ['pipe', 'inherit'] },
  progress: { stdout: 'ignore', stderr: ['pipe', 'inherit'] },
  inherit: { stdout: 'inherit', stderr: 'inherit' },
  interactive: { stdout: 'inherit', stderr: 'inherit' },
};

/** The caller's options as execa's, decided here and nowhere else. */
export function execaOptions(o: RunOptions): ExecaOptions {
  const output = o.output ?? 'capture';
  // A log file is written as the output comes and not also kept here (buffer: false): a build's
  // log runs to megabytes, and the builder reads its tail when it fails.
  const log = typeof output === 'object' ? { file: output.logFile, append: true } : undefined;
  const streams = log ? { stdout: log, stderr: log, buffer: false } : STREAMS[output as Exclude<Output, { logFile: string }>];
  const stdin = output === 'interactive' ? { stdin: 'inherit' as const } : o.input === undefined ? { stdin: 'ignore' as const } : { input: o.input };
  return {
    ...streams,
    ...stdin,
    ...(o.env === undefined ? {} : { env: o.env }),
    extendEnv: !o.cleanEnv,
    ...(o.cwd === undefined ? {} : { cwd: o.cwd }),
    ...(Number.isFinite(o.timeoutMs) ? { timeout: o.timeoutMs } : {}),
    ...(o.signal === undefined ? {} : { cancelSignal: o.signal }),
    forceKillAfterDelay: 5_000,
    reject: false,
  };
}

/** The command as an error names it: its first words, and for `... -- CMD` (a lab host's) the command too. */
export function describeArgv(argv: readonly string[]): string {
  const words = (list: readonly string[]) => list.map((w) => (w.length > 60 ? `${w.slice(0, 57)}...` : w));
  const dash = argv.indexOf('--');
  if (dash > 4) return [...words(argv.slice(0, 4)), '...', ...words(argv.slice(dash + 1, dash + 4))].join(' ');
  return [...words(argv.slice(0, 4)), ...(argv.length > 4 ? ['...'] : [])].join(' ');
}

const text = (value: unknown) => (typeof value === 'string' ? value : '');

function exitCodeOf(r: Result): number {
  if (r.exitCode !== undefined) return r.exitCode;
  const signal = r.signal === undefined ? undefined : constants.signals[r.signal];
  return signal === undefined ? 1 : 128 + signal;
}

/** A command that could not start: no status to answer with, so it throws even unchecked. */
function notStarted(argv: readonly string[], r: Result): CommandError | undefined {
  if (!r.failed || r.exitCode !== undefined || r.signal !== undefined || r.timedOut) return undefined;
  const why = r.code === 'ENOENT' ? 'command not found' : r.cause instanceof Error ? r.cause.message : r.shortMessage;
  return new CommandError(`cannot run ${argv[0]}: ${why}`, r.code === 'ENOENT' ? EX.unavailable : EX.osErr, argv);
}

/** A checked command that ran out of time or did not exit 0. */
function failed(argv: readonly string[], result: RunResult, timeoutMs: number): CommandError | undefined {
  if (result.timedOut) return new CommandError(`${describeArgv(argv)} did not finish within ${timeoutMs / 1000} s`, EX.tempFail, argv);
  if (result.exitCode === 0) return undefined;
  const why = result.stderr.trim().split('\n').slice(-3).join(' | ') || `exit ${result.exitCode}`;
  return new CommandError(`${describeArgv(argv)} failed: ${why}`, EX.osErr, argv);
}

export async function run(argv: readonly string[], o: RunOptions): Promise<RunResult> {
  const [file, ...args] = argv;
  if (file === undefined) throw new CommandError('no command to run', EX.software, argv);
  const r = await execa(file, args, execaOptions(o));
  const cannot = notStarted(argv, r);
  if (cannot) throw cannot;
  const result: RunResult = { exitCode: exitCodeOf(r), stdout: text(r.stdout), stderr: text(r.stderr), timedOut: r.timedOut, ms: r.durationMs };
  const error = o.check === false ? undefined : failed(argv, result, o.timeoutMs);
  if (error) throw error;
  return result;
}

/** The machine's own `ip`; with ipQuiet its exit status says whether the object exists. */
export const ip = (...args: string[]) => run(['ip', ...args], { timeoutMs: 30_000 });
export const ipQuiet = (...args: string[]) => run(['ip', ...args], { timeoutMs: 30_000, check: false });

/**
 * A daemon that outlives chatlab (libvirtd where systemd does not run): a session of its own, no
 * stdin, its output appended to logFile. Returns its pid; nothing waits for it.
 */
export function startDetached(argv: readonly string[], logFile: string): number {
  const [file, ...args] = argv;
  const log = openSync(logFile, 'a');
  try {
    const child = spawn(file!, args, { detached: true, stdio: ['ignore', log, log] });
    child.on('error', () => {});
    child.unref();
    if (child.pid === undefined) throw new CommandError(`cannot run ${file}: it did not start`, EX.unavailable, argv);
    return child.pid;
  } finally {
    closeSync(log);
  }
}

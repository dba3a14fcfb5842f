// The responder's command: found before the responder starts, then run once per request, without a
// shell, by node:child_process (execa did it until issue 16: it was half of rsxcc's bundle, compiled
// at every start of every mode). The body is its standard input; its standard error is rsxcc's. It
// leads a process group of its own, so that the time limit (or the session's end) kills it with
// whatever it started, and rsxcc's exit kills what still runs.
import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { MissingCommandError } from '../errors.ts';

/** Stops the command at once, with its children: the group has no use once its request is dropped. */
function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Gone already.
  }
}

const running = new Set<number>();
// The groups are not ours to leave behind: a second SIGTERM or a failure exits rsxcc while they run.
process.once('exit', () => running.forEach(killGroup));

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The command as the system would run it (a name is looked up in PATH), or MissingCommandError (69). */
export function findCommand(file: string, searchPath: string | undefined): string {
  const candidates = file.includes('/') ? [file] : (searchPath ?? '').split(':').map((dir) => path.join(dir || '.', file));
  const found = candidates.find(isExecutableFile);
  if (found === undefined) throw new MissingCommandError(`cannot run ${JSON.stringify(file)}: ${file.includes('/') ? 'no such executable file' : 'not found in PATH'}`);
  return found;
}

export interface RunLimits {
  timeLimitMs: number;
  /** Bytes of standard output kept; the rest is read and dropped, so the command is not blocked. */
  outputLimit: number;
  /** Aborted: the request is dropped (its session ended, or rsxcc is stopping). */
  signal: AbortSignal;
  /** Added to the environment. */
  env: Record<string, string>;
}

export interface CommandOutcome {
  /** At most outputLimit bytes of standard output, as the command wrote them. */
  output: Buffer;
  /** Standard output went on past outputLimit. */
  truncated: boolean;
  exitCode?: number;
  /** The signal that ended it (the time limit's SIGKILL included). */
  signal?: string;
  timedOut: boolean;
  /** Why it did not start at all (ENOENT, EACCES, ...). */
  notStarted?: string;
}

/** Keeps the first `limit` bytes of a stream and drops the rest. */
function capture(stream: NodeJS.ReadableStream | null, limit: number): { take: () => { output: Buffer; truncated: boolean } } {
  const chunks: Buffer[] = [];
  let kept = 0;
  let truncated = false;
  stream?.on('data', (chunk: Buffer) => {
    if (kept >= limit) {
      truncated = true;
      return;
    }
    const part = chunk.subarray(0, limit - kept);
    truncated ||= part.length < chunk.length;
    chunks.push(part);
    kept += part.length;
  });
  return { take: () => ({ output: Buffer.concat(chunks), truncated }) };
}

export async function runCommand(argv: readonly string[], input: string, limits: RunLimits): Promise<CommandOutcome> {
  const [file, ...args] = argv;
  // The account's password is rsxcc's, not the command's.
  const env: NodeJS.ProcessEnv = { ...process.env, ...limits.env };
  delete env.XMPP_PASSWORD;
  const child = spawn(file!, args, { stdio: ['pipe', 'pipe', 'inherit'], detached: true, env });
  const stdout = capture(child.stdout, limits.outputLimit);
  // A command that does not read its input (or that did not start) closes the pipe: not a failure.
  child.stdin.on('error', () => {});
  child.stdin.end(input);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child.pid);
  }, limits.timeLimitMs);
  const drop = () => killGroup(child.pid);
  limits.signal.addEventListener('abort', drop, { once: true });
  if (child.pid !== undefined) running.add(child.pid);
  try {
    // 'close': exited, and its standard output read to the end; after 'error' when it did not start.
    const { code, signal, error } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
      let error: Error | undefined;
      child.once('error', (failure) => (error = failure));
      child.once('close', (code, signal) => resolve({ code, signal, error }));
    });
    if (child.pid === undefined) return { ...stdout.take(), timedOut, notStarted: error?.message ?? 'not started' };
    return { ...stdout.take(), exitCode: code ?? undefined, signal: signal ?? undefined, timedOut };
  } finally {
    clearTimeout(timer);
    limits.signal.removeEventListener('abort', drop);
    if (child.pid !== undefined) running.delete(child.pid);
  }
}

// How the lab tests start processes, the one place that calls execa for them: every process bounded
// in time, stdin closed unless given, output kept as text, one result type whatever the exit; and
// a process left running in the background with what it has printed so far.
import { execa, type ResultPromise } from 'execa';

export interface Run {
  /** undefined when a signal ended it. */
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  /** Killed at its time bound. */
  timedOut: boolean;
  signal: string | undefined;
  ms: number;
}

export interface ProcessOptions {
  /** Written to stdin, which is then closed; without it stdin is /dev/null. */
  input?: string | Buffer;
  /** The process's whole environment (nothing inherited); without it, this process's. */
  env?: Record<string, string>;
  cwd?: string;
  /** Hard bound: a process still running then is killed and its result says timedOut. */
  timeoutMs: number;
}

/**
 * Starts argv: the promise never rejects, it resolves to execa's result whatever the exit. For
 * callers that need the child itself (its streams, pid, kill); the rest use runProcess().
 */
export function startProcess(argv: string[], options: ProcessOptions, { buffer = true } = {}): ResultPromise {
  return execa(argv[0]!, argv.slice(1), {
    reject: false,
    input: options.input,
    stdin: options.input === undefined ? 'ignore' : undefined,
    env: options.env,
    extendEnv: options.env === undefined,
    cwd: options.cwd,
    timeout: options.timeoutMs,
    stripFinalNewline: false,
    buffer,
  });
}

/** execa's result as a Run, with `stdout` and `stderr` as given (a child that was not buffered). */
function asRun(r: { exitCode?: number; stdout?: unknown; stderr?: unknown; timedOut?: boolean; signal?: string }, started: number): Run {
  return {
    exitCode: r.exitCode,
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? ''),
    timedOut: r.timedOut ?? false,
    signal: r.signal,
    ms: Date.now() - started,
  };
}

/** Runs argv to its end (or its time bound), with its timing. */
export async function runProcess(argv: string[], options: ProcessOptions): Promise<Run> {
  const started = Date.now();
  return asRun(await startProcess(argv, options), started);
}

/**
 * A process running in the background: what it has printed so far, a kill at an exact line of its
 * output, and a bounded stop. Its output is read as it comes, never held back by execa.
 */
export class BackgroundProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<Run>;
  private readonly child: ResultPromise;
  private readonly started = Date.now();
  private killAt: number | undefined;
  private lines = 0;

  constructor(argv: string[], options: ProcessOptions) {
    this.child = startProcess(argv, options, { buffer: false });
    this.child.stdout!.on('data', (d: Buffer) => {
      this.stdout += d.toString();
      if (this.killAt !== undefined && (this.lines += d.toString().split('\n').length - 1) >= this.killAt) this.child.kill('SIGKILL');
    });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = this.child.then((r) => asRun({ ...r, stdout: this.stdout, stderr: this.stderr }, this.started));
  }

  get pid() {
    return this.child.pid!;
  }
  get exitCode(): number | null {
    return this.child.exitCode;
  }

  /** SIGKILL from the output handler itself, the moment `lines` lines have been printed: a kill
   *  point exact to the line, whatever the process's pace. */
  killAtLine(lines: number): void {
    this.killAt = lines;
  }

  /** Power-cut style: SIGKILL now, then whatever it had printed. */
  async kill9(): Promise<Run> {
    this.child.kill('SIGKILL');
    return this.exited;
  }

  /** SIGTERM, then the exit (bounded: SIGKILL after `ms`, which the caller's assertions then see). */
  async stop(ms = 10_000): Promise<Run> {
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), ms);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

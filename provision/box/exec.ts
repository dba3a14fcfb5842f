// The one way box code runs programs: always with a time limit, output captured or sent to a log.
import { execa } from 'execa';

export interface RunOptions {
  timeoutMs: number;
  input?: string;
  /** Replaces the environment entirely: chroot'ed programs must not see the caller's. */
  env?: Record<string, string>;
  /** File that receives stdout and stderr (appended) instead of capturing them. */
  logFile?: string;
  /** Share this process's stdout and stderr. */
  inherit?: boolean;
  /** Resolve with the result instead of throwing on a non-zero exit. */
  reject?: boolean;
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export async function run(cmd: string, args: string[], o: RunOptions): Promise<RunResult> {
  const output = o.inherit ? ('inherit' as const) : o.logFile === undefined ? ('pipe' as const) : { file: o.logFile, append: true };
  const r = await execa(cmd, args, {
    timeout: o.timeoutMs,
    forceKillAfterDelay: 5_000,
    ...(o.input === undefined ? { stdin: 'ignore' as const } : { input: o.input }),
    ...(o.env === undefined ? {} : { env: o.env, extendEnv: false }),
    stdout: output,
    stderr: output,
    reject: o.reject ?? true,
  });
  return {
    exitCode: r.exitCode ?? -1,
    stdout: typeof r.stdout === 'string' ? r.stdout : '',
    stderr: typeof r.stderr === 'string' ? r.stderr : '',
  };
}

export interface Timing {
  step: string;
  seconds: number;
}

/** Runs one named step, logs how long it took and records it for the closing summary. */
export async function timed<T>(timings: Timing[], step: string, log: (m: string) => void, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  log(`${step} ...`);
  try {
    return await fn();
  } finally {
    const seconds = Math.round((performance.now() - t0) / 100) / 10;
    timings.push({ step, seconds });
    log(`${step}: ${seconds} s`);
  }
}

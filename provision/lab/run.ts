// Every process the lab runner starts goes through here (execa): one place to turn a failed
// command into a LabError that names the command and its last words on stderr.
import { execa, type Options } from 'execa';
import { LabError } from '../errors.ts';

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export async function run(argv: string[], options: Options & { check?: boolean } = {}): Promise<RunResult> {
  const { check = true, ...rest } = options;
  const [file, ...args] = argv;
  // No stdin unless asked for: a lab command must never wait on a terminal.
  const io = rest.stdio === undefined ? { stdin: 'ignore' as const } : {};
  const result = await execa(file!, args, { reject: false, ...io, ...rest } as Options);
  const out: RunResult = {
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
    exitCode: result.exitCode ?? (result.signal ? 128 : 1),
  };
  if (check && out.exitCode !== 0) {
    const why = out.stderr.trim().split('\n').slice(-3).join(' | ') || result.signal || `exit ${out.exitCode}`;
    throw new LabError(`${argv.slice(0, 4).join(' ')}${argv.length > 4 ? ' ...' : ''} failed: ${why}`);
  }
  return out;
}

/** The machine's own `ip`; its exit status says whether the object exists. */
export const ip = (...args: string[]) => run(['ip', ...args]);
export const ipQuiet = (...args: string[]) => run(['ip', ...args], { check: false });

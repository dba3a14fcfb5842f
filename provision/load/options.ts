// `chatlab load` options: parsed and bounded here, once, so the rest of the generator can trust
// them. Every run is finite by construction: a capped user count and a capped duration.
import { parseArgs } from 'node:util';
import { usageError } from '../errors.ts';

export type Server = 'ejabberd' | 'prosody';

export interface LoadOptions {
  /** Which lab; undefined is the default lab. */
  lab?: string;
  server: Server;
  /** Accounts load1..loadN; each arrives once (and again after a dropped connection). */
  users: number;
  /** Arrivals per second. */
  rate: number;
  /** The whole run, arrivals included; every session is closed when it ends. */
  durationS: number;
  /** How long a user stays before leaving; 0: until the end of the run. */
  stayS: number;
  /** Seconds between two messages of one online user (to another online user); 0: no chat. */
  messageIntervalS: number;
  /** Client processes: one core of TLS and XML per process. */
  workers: number;
  /** Bound on each login step and each wait. */
  timeoutS: number;
  /** Power off this lab host at `killAtS`, and boot it again after the run. */
  kill?: { host: string; atS: number };
  /** Where report.json and report.svg go. */
  outDir?: string;
}

/** Hard bounds: the machine is shared, and a typo must not start a day-long storm. */
export const LIMITS = { users: 10_000, durationS: 600, rate: 500, workers: 8 } as const;

export const DEFAULTS: Omit<LoadOptions, 'lab' | 'kill' | 'outDir'> = {
  server: 'ejabberd',
  users: 100,
  rate: 20,
  durationS: 30,
  stayS: 0,
  messageIntervalS: 2,
  workers: 1,
  timeoutS: 15,
};

export const LOAD_USAGE = `usage: chatlab [--lab NAME] load [--server ejabberd|prosody] [--users N] [--rate N/s]
         [--duration S] [--stay S] [--message-interval S] [--workers N] [--timeout S]
         [--kill HOST@S] [--out DIR]`;

function number(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min || value > max) throw usageError(`--${name} takes a number from ${min} to ${max}, not ${text}`);
  return value;
}

export function parseLoadArgs(args: string[], lab?: string): LoadOptions {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: Object.fromEntries(
      ['server', 'users', 'rate', 'duration', 'stay', 'message-interval', 'workers', 'timeout', 'kill', 'out'].map((n) => [n, { type: 'string' as const }]),
    ),
  });
  if (positionals.length) throw usageError(`load takes no arguments: ${positionals.join(' ')}`);
  const server = values.server ?? DEFAULTS.server;
  if (server !== 'ejabberd' && server !== 'prosody') throw usageError(`--server takes ejabberd or prosody, not ${server}`);
  const durationS = number('duration', values.duration, DEFAULTS.durationS, 1, LIMITS.durationS);
  let kill: LoadOptions['kill'];
  if (values.kill !== undefined) {
    const match = /^([a-z0-9-]+)@(\d+(?:\.\d+)?)$/.exec(values.kill);
    if (!match || Number(match[2]) >= durationS) throw usageError(`--kill takes HOST@SECONDS within the run, not ${values.kill}`);
    kill = { host: match[1]!, atS: Number(match[2]) };
  }
  return {
    lab,
    server,
    users: Math.round(number('users', values.users, DEFAULTS.users, 1, LIMITS.users)),
    rate: number('rate', values.rate, DEFAULTS.rate, 0.1, LIMITS.rate),
    durationS,
    stayS: number('stay', values.stay, DEFAULTS.stayS, 0, LIMITS.durationS),
    messageIntervalS: number('message-interval', values['message-interval'], DEFAULTS.messageIntervalS, 0, 3600),
    workers: Math.round(number('workers', values.workers, DEFAULTS.workers, 1, LIMITS.workers)),
    timeoutS: number('timeout', values.timeout, DEFAULTS.timeoutS, 1, 120),
    kill,
    outDir: values.out,
  };
}

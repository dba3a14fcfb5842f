// `chatlab load` options: parsed and bounded here, once, so the rest of the generator can trust
// them. Every run is finite by construction: a capped user count and a capped duration.
import { parseArgs, type Args, type Syntax } from '../args.ts';
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

const seconds = { arg: 'S' } as const;

/** chatlab load's options: what it parses, and what -h and chatlab(1) list. */
export const LOAD_SYNTAX: Syntax = {
  operands: '',
  arity: [0, 0],
  options: [
    { long: 'server', arg: 'SERVER', choices: ['ejabberd', 'prosody'], help: `the server to load (default ${DEFAULTS.server}; ejabberd through HAProxy)` },
    { long: 'users', arg: 'N', help: `accounts load1..N, each arriving once (default ${DEFAULTS.users}, at most ${LIMITS.users})` },
    { long: 'rate', arg: 'N', help: `arrivals per second (default ${DEFAULTS.rate}, at most ${LIMITS.rate})` },
    { long: 'duration', ...seconds, help: `the whole run, arrivals included (default ${DEFAULTS.durationS}, at most ${LIMITS.durationS})` },
    { long: 'stay', ...seconds, help: 'how long a user stays before leaving (default 0: to the end)' },
    { long: 'message-interval', ...seconds, help: `seconds between two messages of a user (default ${DEFAULTS.messageIntervalS}; 0: no chat)` },
    { long: 'workers', arg: 'N', help: `client processes, a core each (default ${DEFAULTS.workers}, at most ${LIMITS.workers})` },
    { long: 'timeout', ...seconds, help: `bound on each login step and wait (default ${DEFAULTS.timeoutS})` },
    { long: 'kill', arg: 'HOST@S', help: 'power off HOST S seconds into the run, and start it again after' },
    { long: 'out', arg: 'DIR', help: 'where the JSON and SVG reports go (default the lab\'s state directory, load/)' },
  ],
};

function number(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min || value > max) throw usageError(`--${name} takes a number from ${min} to ${max}, not ${text}`);
  return value;
}

/** The run's options from a parsed command line, bounded. */
export function loadOptions(args: Args, lab?: string): LoadOptions {
  const get = (name: string) => args.values.get(name);
  const server = (get('server') ?? DEFAULTS.server) as Server;
  const durationS = number('duration', get('duration'), DEFAULTS.durationS, 1, LIMITS.durationS);
  let kill: LoadOptions['kill'];
  const killSpec = get('kill');
  if (killSpec !== undefined) {
    const match = /^([a-z0-9-]+)@(\d+(?:\.\d+)?)$/.exec(killSpec);
    if (!match || Number(match[2]) >= durationS) throw usageError(`--kill takes HOST@SECONDS within the run, not ${killSpec}`);
    kill = { host: match[1]!, atS: Number(match[2]) };
  }
  return {
    lab,
    server,
    users: Math.round(number('users', get('users'), DEFAULTS.users, 1, LIMITS.users)),
    rate: number('rate', get('rate'), DEFAULTS.rate, 0.1, LIMITS.rate),
    durationS,
    stayS: number('stay', get('stay'), DEFAULTS.stayS, 0, LIMITS.durationS),
    messageIntervalS: number('message-interval', get('message-interval'), DEFAULTS.messageIntervalS, 0, 3600),
    workers: Math.round(number('workers', get('workers'), DEFAULTS.workers, 1, LIMITS.workers)),
    timeoutS: number('timeout', get('timeout'), DEFAULTS.timeoutS, 1, 120),
    kill,
    outDir: get('out'),
  };
}

/** `chatlab load`'s arguments (after the word load) as the run's options. */
export const parseLoadArgs = (args: readonly string[], lab?: string): LoadOptions => loadOptions(parseArgs('load', LOAD_SYNTAX, args), lab);

// Continuous mode: catch up on offline messages, then print messages as they arrive, across
// server restarts and network cuts, until asked to stop; with -g, in rooms too (follow-rooms.ts).
//
// Duplicates XMPP cannot avoid: a message printed just before the connection broke, whose <a/>
// (sent right after printing) did not reach the server, is put back into offline storage by the
// server and shown again after the reconnect. Nothing is lost: what was not acknowledged is kept.
import { bareJid } from '../../xmpp/jid.ts';
import type { OpenSession, Session } from '../../xmpp/session.ts';
import type { Diagnostics } from '../debug.ts';
import { ExitCode, exitCodeOf, explain } from '../errors.ts';
import type { Options } from '../options/resolve.ts';
import { LinePrinter } from '../output.ts';
import { catchUp, Inbox, receiving } from './unread.ts';

export interface ListenOptions {
  /** How often to ping the server to notice a silent network cut. */
  keepaliveMs: number;
  /** Rooms to follow once caught up (-c -g). */
  rooms?: Followed;
  /** How often to self-ping each followed room (XEP-0410): a room can lose us while the connection stays up. */
  selfPingMs?: number;
  /** Progress for -v. */
  progress: (text: string) => void;
  /** Connection lost / back: always said, even without -v. */
  notice: (text: string) => void;
  /** Aborted by SIGINT/SIGTERM: close cleanly and return. */
  signal: AbortSignal;
  backoff?: (attempt: number) => number;
}

/** What continuous mode follows besides the account's own messages: rooms (follow-rooms.ts). */
export interface Followed {
  /** After the catch-up, on every connection; a failure counts as the connection's. */
  join(session: Session): Promise<void>;
  /** While the connection lasts (until `signal`): rejects only with a failure no retry can fix. */
  watch(session: Session, everyMs: number, signal: AbortSignal): Promise<never>;
  /** Before a clean close. */
  leave(session: Session): Promise<void>;
}

/** 1 s, 2 s, 4 s ... capped at 30 s, with +-20 % jitter so that many clients do not stampede. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(30_000, 1000 * 2 ** Math.min(attempt, 5));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** Failures that a reconnect cannot fix (bad usage, bad data, refused credentials): give up instead of hammering the server. */
const permanent: readonly number[] = [ExitCode.usage, ExitCode.data, ExitCode.noperm];
export const isPermanent = (error: unknown) => permanent.includes(exitCodeOf(error));

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

// The abort listener goes when the timer fires: one per keep-alive period would pile up for as
// long as a listener runs (Node warns past ten).
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const wake = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', wake);
      resolve();
    };
    const timer = setTimeout(wake, ms);
    signal.addEventListener('abort', wake, { once: true });
  });
}

/** Resolves with the reason once a keepalive ping fails; never resolves while the server answers. */
async function keepalive(session: Session, everyMs: number, signal: AbortSignal): Promise<Error> {
  for (;;) {
    await sleepUnlessAborted(everyMs, signal);
    if (signal.aborted) return new Error('stopped');
    try {
      await session.ping();
    } catch (error) {
      return error as Error;
    }
  }
}

/**
 * Opens a session with `open`, lets `begin` make it ready (catch up, become available), then
 * waits; reconnects with back-off whenever a session that was working breaks, until `signal`.
 */
export async function listen(open: () => Promise<Session>, begin: (session: Session) => Promise<void>, options: ListenOptions): Promise<void> {
  const { signal } = options;
  const backoff = options.backoff ?? backoffMs;
  let everOnline = false;
  let attempt = 0;
  // One listener for the whole run, not one per reconnect.
  const stopped = aborted(signal).then(() => undefined);
  while (!signal.aborted) {
    let session: Session | undefined;
    const connection = new AbortController();
    try {
      session = await open();
      await begin(session);
      await options.rooms?.join(session);
      if (everOnline) options.notice(`reconnected as ${session.jid}`);
      everOnline = true;
      attempt = 0;
      options.progress('waiting for messages');
      const watching = options.rooms ? [options.rooms.watch(session, options.selfPingMs ?? options.keepaliveMs, connection.signal)] : [];
      const broken = await Promise.race([session.ended, keepalive(session, options.keepaliveMs, signal), stopped, ...watching]);
      if (signal.aborted) {
        await options.rooms?.leave(session);
        break;
      }
      throw broken ?? new Error('connection closed');
    } catch (error) {
      // A setup that never worked is a configuration problem: report it instead of retrying.
      if (signal.aborted) break;
      if (!everOnline || isPermanent(error)) throw error;
      const wait = backoff(attempt++);
      options.notice(`connection lost (${explain(error)}); reconnecting in ${(wait / 1000).toFixed(1)} s`);
      session?.abort();
      session = undefined;
      await sleepUnlessAborted(wait, signal);
    } finally {
      connection.abort();
      await session?.close();
    }
  }
}

/** How the long-running modes (-c, -R) run: SIGINT or SIGTERM stops them cleanly, a second one at once. */
export function agentOptions(options: Options, diag: Diagnostics): ListenOptions {
  const stop = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      diag.progress(`${signal}: closing`);
      stop.abort();
      // A second signal means "now": the server keeps whatever was not acknowledged.
      process.once(signal, () => process.exit(0));
    });
  }
  return {
    progress: diag.progress,
    keepaliveMs: 30_000,
    selfPingMs: 30_000,
    signal: stop.signal,
    notice: (text) => process.stderr.write(`rsxcc: ${bareJid(options.jid)}: ${text}\n`),
  };
}

export async function run(open: OpenSession, options: Options, diag: Diagnostics): Promise<void> {
  const inbox = new Inbox(new LinePrinter(process.stdout, options.output));
  const settings = agentOptions(options, diag);
  // Loaded only for -g (it builds on this module's back-off and sleep).
  const rooms = options.rooms.length
    ? new (await import('./follow-rooms.ts')).RoomFollower(options.rooms, { timeoutMs: options.timeoutMs, progress: diag.progress, notice: settings.notice })
    : undefined;
  const hooks = receiving(inbox);
  const catchingUp = { quietMs: options.quietMs, timeoutMs: options.timeoutMs, progress: diag.progress, stayAvailable: true };
  await listen(() => open(rooms?.hooks(hooks) ?? hooks), (session) => catchUp(session, inbox, catchingUp), { ...settings, rooms });
}

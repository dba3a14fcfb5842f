// A load worker's bookkeeping, without sessions or timers: this second's counts, who may receive a
// message, which messages are in flight, how many are due. worker.ts wires it to the sessions.
import { emptyTick, type ErrorKind, type Tick } from './metrics.ts';

/** Error messages kept for the report: enough to see what went wrong, not a log. */
export const MAX_SAMPLES = 10;

/** The counts of the current second, and the first few error messages of the whole run. */
export class Counter {
  tick: Tick = emptyTick(0);
  readonly samples: string[] = [];

  fail(kind: ErrorKind, why: unknown): void {
    this.tick.errors[kind] = (this.tick.errors[kind] ?? 0) + 1;
    if (this.samples.length < MAX_SAMPLES) this.samples.push(`${kind}: ${why instanceof Error ? why.message : String(why)}`);
  }

  /** Closes the current second with `sessions` online and returns it; the next second starts empty. */
  roll(sessions: number): Tick {
    const done = this.tick;
    done.sessions = sessions;
    this.tick = emptyTick(done.second + 1);
    return done;
  }
}

/** Users a message may go to (online, not about to leave): an array, so that a pick is uniform. */
export class Targets<T> {
  private readonly list: T[] = [];

  get size(): number {
    return this.list.length;
  }

  add(user: T): void {
    this.list.push(user);
  }

  remove(user: T): void {
    const i = this.list.indexOf(user);
    if (i >= 0) this.list.splice(i, 1);
  }

  /** A sender and a different recipient, each pair equally likely; undefined below two users. */
  pair(random: () => number = Math.random): [T, T] | undefined {
    const n = this.list.length;
    if (n < 2) return undefined;
    const from = this.list[Math.floor(random() * n)]!;
    // A pick among the other n - 1: the sender's own slot stands for the last one.
    const to = this.list[Math.floor(random() * (n - 1))]!;
    return [from, to === from ? this.list[n - 1]! : to];
  }
}

export interface Sent<T> {
  id: string;
  to: T;
  /** performance.now() when it was sent. */
  at: number;
}

/** Messages sent and not received yet, by id. */
export class InFlight<T> {
  private readonly byId = new Map<string, Sent<T>>();

  add(id: string, to: T, at: number): void {
    this.byId.set(id, { id, to, at });
  }

  /** The message `id` arrived: what was sent, the first time only. */
  take(id: string): Sent<T> | undefined {
    const sent = this.byId.get(id);
    this.byId.delete(id);
    return sent;
  }

  /** The recipient's session dropped: what it had not received is no longer expected. */
  forget(to: T): void {
    for (const [id, sent] of this.byId) if (sent.to === to) this.byId.delete(id);
  }

  /** Removes and returns the messages sent at least `ms` before `now` (0: every one). */
  expire(now: number, ms: number): Sent<T>[] {
    const old = [...this.byId.values()].filter((sent) => now - sent.at >= ms);
    for (const sent of old) this.byId.delete(sent.id);
    return old;
  }
}

/** Paces the chat: `online` users, each sending one message per `intervalMs` on average. */
export class Pace {
  private owed = 0;

  /** How many messages are due in a step of `stepMs`; fractions carry over to the next step. */
  due(online: number, intervalMs: number, stepMs: number): number {
    this.owed += (online * stepMs) / intervalMs;
    const whole = Math.floor(this.owed);
    this.owed -= whole;
    return whole;
  }
}

// XEP-0198 for what we receive. A stanza counts as received (and is acknowledged to the server)
// only once its handler has finished with it, so whatever was not handled when a session ends, however
// it ends, stays with the server for the next one. No resumption: a broken session is a new login.
//
// Backpressure: while `pauseAt` stanzas wait for their handler (a slow reader of our output), the
// socket is not read, so the rest waits in TCP and at the server rather than in our memory; reading
// resumes when `resumeAt` are left.
//
// A handler may also take a stanza on and finish with it later (a responder running a command for
// a request): it hands back a Pending, the next stanza goes to the handler at once, and the
// stanza counts once the Pending settles. Counts stay in arrival order, since h counts a prefix
// of the stream: one stanza still pending holds back the acknowledgement of those after it.
import type { Element } from '@xmpp/xml';
import type xmlFactory from '@xmpp/xml';

export const NS_SM = 'urn:xmpp:sm:3';
export const pauseAt = 256;
export const resumeAt = 64;

const stanzaNames = new Set(['message', 'presence', 'iq']);

/**
 * A stanza a handler has taken on but not finished with: it counts as handled once `handled`
 * resolves true. False means it was not handled and stays with the server, and so does every
 * stanza after it (nothing more is counted); a rejection fails the session as a handler's does.
 */
export interface Pending {
  readonly handled: Promise<boolean>;
}

/** What the caller does with incoming stanzas. */
export interface InboundHooks {
  /**
   * Called for every incoming stanza, one at a time in arrival order. With stream management, a
   * stanza counts as handled (and is acknowledged to the server) only once the returned promise
   * resolves, or once the Pending it resolves with settles; a rejection stops all
   * acknowledgement and ends the session.
   */
  onStanza?: (stanza: Element) => void | Pending | Promise<void | Pending>;
  /** With stream management, acknowledge messages as soon as they are handled (one <a/> per event-loop turn). */
  acknowledgeEach?: boolean;
}

export interface StreamManagementIo extends InboundHooks {
  xml: typeof xmlFactory;
  /** Writes to the stream; a failed write shows as the session's end, so it is ignored here. */
  write: (element: Element) => Promise<void>;
  /** Whether the stream is up, so that an <a/> may be written. */
  online: () => boolean;
  /** Stops and restarts reading the socket. */
  pause: () => void;
  resume: () => void;
  /** A handler failed: the session ends with its error. */
  fail: (error: Error) => void;
  progress: (text: string) => void;
}

/** Consecutive stanzas whose handling ends at the same moment: all handled at once, or one Pending. */
interface Run {
  /** Stanzas and messages of the run that count (received after <enabled/>): all or none of it. */
  stanzas: number;
  messages: number;
  counted: boolean;
  pending: Pending | undefined;
  done: boolean;
  handled: boolean;
}

const isPromise = (value: unknown): value is Promise<void | Pending> => typeof (value as Promise<unknown> | undefined)?.then === 'function';

export class StreamManagement {
  private enabled = false;
  /** Stanzas received since <enabled/> that their handler has finished with: XEP-0198's h. */
  private handled = 0;
  /** Stanzas received that their handler has not finished with (a Pending's count as finished). */
  private waiting = 0;
  /** Stanzas go to the handler one at a time: while it works on one (a promise), the rest wait here. */
  private readonly backlog: Element[] = [];
  private busy = false;
  /** ...and are counted in the same order, once each has been handled: what is not counted yet. */
  private readonly runs: Run[] = [];
  private idleWaiters: Array<() => void> = [];
  private stopped = false;
  /** A stanza was left with the server: h may not count past it. */
  private leftOne = false;
  private handlerFailed = false;
  private ackDue = false;

  constructor(private readonly io: StreamManagementIo) {}

  /**
   * Enables XEP-0198 where `features` offer it; `request` writes <enable/> and resolves with the
   * server's answer. False when the server does not offer it or refuses.
   */
  async enable(features: Element | undefined, request: (enable: Element) => Promise<Element>): Promise<boolean> {
    if (this.enabled) return true;
    if (!features?.getChild('sm', NS_SM)) return false;
    const reply = await request(this.io.xml('enable', { xmlns: NS_SM }));
    this.enabled = reply.is('enabled', NS_SM);
    this.io.progress(this.enabled ? 'stream management enabled' : 'stream management refused by the server');
    return this.enabled;
  }

  /** Every element the stream receives: stanzas go to the handler, the server's <r/> is answered. */
  receive(element: Element): void {
    const { name } = element;
    if (name === 'r' && this.enabled && element.getNS() === NS_SM) {
      this.acknowledge();
      return;
    }
    if (!stanzaNames.has(name) || this.stopped || this.handlerFailed) return;
    if (++this.waiting === pauseAt) this.io.pause();
    if (this.busy) this.backlog.push(element);
    else this.dispatch(element);
  }

  /** Resolves once every stanza received so far has been handled. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** From now on nothing more is handled: what arrives stays unacknowledged, so the server keeps it. */
  stop(): void {
    this.stopped = true;
  }

  /** A handler failed: nothing more may be acknowledged. */
  get broken(): boolean {
    return this.handlerFailed;
  }

  /** The <a/> that tells the server about everything handled so far; undefined without XEP-0198. */
  finalAcknowledgement(): Element | undefined {
    return this.enabled ? this.ack() : undefined;
  }

  // The handler's work on one stanza, then on those that waited behind it, without a promise for
  // each (the drain's cost was in them): a promise is waited for only when the handler returns one.
  private dispatch(first: Element): void {
    for (let element: Element | undefined = first; element && !this.handlerFailed; element = this.backlog.shift()) {
      const counted = this.enabled;
      const isMessage = element.name === 'message';
      let result: void | Pending | Promise<void | Pending>;
      try {
        result = this.io.onStanza?.(element);
      } catch (error) {
        this.handlerFailedWith(error as Error);
        return;
      }
      if (isPromise(result)) {
        this.busy = true;
        result.then(
          (outcome) => {
            this.busy = false;
            this.finished(counted, isMessage, outcome);
            const next = this.backlog.shift();
            if (next) this.dispatch(next);
          },
          (error: Error) => this.handlerFailedWith(error),
        );
        return;
      }
      this.finished(counted, isMessage, result);
    }
  }

  /** The handler is done with a stanza; it counts now, or once the Pending settles, in arrival order. */
  private finished(counted: boolean, isMessage: boolean, outcome: void | Pending): void {
    if (--this.waiting === resumeAt) this.io.resume();
    const pending = outcome?.handled ? outcome : undefined;
    const { runs } = this;
    const last = runs[runs.length - 1];
    if (!pending && !last) {
      this.count(counted, counted ? 1 : 0, counted && isMessage ? 1 : 0, true);
    } else if (last && last.pending === pending && last.counted === counted) {
      last.stanzas += counted ? 1 : 0;
      last.messages += counted && isMessage ? 1 : 0;
    } else {
      const run: Run = { stanzas: counted ? 1 : 0, messages: counted && isMessage ? 1 : 0, counted, pending, done: !pending, handled: true };
      runs.push(run);
      pending?.handled.then(
        (handled) => {
          run.done = true;
          run.handled = handled;
          this.advance();
        },
        (error: Error) => this.handlerFailedWith(error),
      );
    }
    this.checkIdle();
  }

  /** Counts the runs at the head that are done. */
  private advance(): void {
    const { runs } = this;
    while (runs.length && runs[0]!.done) {
      const run = runs.shift()!;
      this.count(run.counted, run.stanzas, run.messages, run.handled);
    }
    this.checkIdle();
  }

  private count(counted: boolean, stanzas: number, messages: number, handled: boolean): void {
    if (!counted || this.handlerFailed || this.leftOne) return;
    if (!handled) {
      this.leftOne = true;
      return;
    }
    this.handled += stanzas;
    if (this.io.acknowledgeEach && messages > 0) this.acknowledgeSoon();
  }

  private isIdle(): boolean {
    return this.handlerFailed || (this.waiting === 0 && this.runs.length === 0);
  }

  private checkIdle(): void {
    if (!this.idleWaiters.length || !this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private handlerFailedWith(error: Error): void {
    if (this.handlerFailed) return;
    this.handlerFailed = true;
    this.backlog.length = 0;
    this.io.fail(error);
    this.checkIdle();
  }

  // One <a/> for all the messages handled in one turn of the event loop (h is cumulative), not one
  // per message: 10,000 waiting would be 10,000 TLS writes.
  private acknowledgeSoon(): void {
    if (this.ackDue) return;
    this.ackDue = true;
    setImmediate(() => {
      this.ackDue = false;
      if (!this.stopped && this.io.online()) this.acknowledge();
    });
  }

  private acknowledge(): void {
    this.io.write(this.ack()).catch(() => {});
  }

  private ack(): Element {
    return this.io.xml('a', { xmlns: NS_SM, h: this.handled });
  }
}

// Waiting for one particular incoming stanza that is not an IQ reply (a room's answer to a join,
// the reflection of our message): the session's stanza handler offers every stanza to the waits
// registered at that moment. IQ replies have their own caller (Session.request).
import type { Element } from '@xmpp/xml';
import { bounded } from './bounded.ts';

interface Waiter {
  match: (stanza: Element) => boolean;
  resolve: (stanza: Element) => void;
}

export class StanzaWaiters {
  private readonly waiting = new Set<Waiter>();

  /** Must see every incoming stanza: part of the session's onStanza. */
  onStanza = (stanza: Element): void => {
    for (const waiter of this.waiting) {
      if (!waiter.match(stanza)) continue;
      this.waiting.delete(waiter);
      waiter.resolve(stanza);
    }
  };

  /**
   * Registers the wait, then runs `start` (which sends what will be answered), so that no answer can
   * slip past; resolves with the first stanza `match` accepts. Bounded by `ms`, and cut short when
   * `ended` says the connection is gone.
   */
  async waitFor(
    match: (stanza: Element) => boolean,
    start: () => Promise<void>,
    wait: { ms: number; waitingFor: string; ended: Promise<Error | undefined> },
  ): Promise<Element> {
    let waiter: Waiter | undefined;
    const answer = new Promise<Element>((resolve) => {
      waiter = { match, resolve };
      this.waiting.add(waiter);
    });
    const gone = wait.ended.then((error) => Promise.reject(error ?? new Error('the session was closed')));
    // Handled even when start() fails and the race below never subscribes.
    gone.catch(() => {});
    try {
      await start();
      return await bounded(Promise.race([answer, gone]), wait.ms, wait.waitingFor);
    } finally {
      this.waiting.delete(waiter!);
    }
  }
}

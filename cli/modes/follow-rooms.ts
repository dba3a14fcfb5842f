// Continuous mode's rooms (-c -g): joined after each catch-up, every message printed once with its
// room and nick. The first join asks for no history; a rejoin (after a reconnect, or after the room
// lost us) asks for what was said since the last message seen and drops what was printed already.
// A room can lose us while our connection stays up (its cluster node killed, the room restarted):
// a XEP-0410 self-ping notices, and we rejoin.
import { createHash } from 'node:crypto';
import type { Element } from '@xmpp/xml';
import { Muc, NS_SID, type History, type Occupancy } from '../../xmpp/muc.ts';
import type { InboundHooks, Session } from '../../xmpp/session.ts';
import { StanzaWaiters } from '../../xmpp/stanza-waiters.ts';
import { explain } from '../errors.ts';
import type { RoomTarget } from '../options/rooms.ts';
import { readMessage } from '../output.ts';
import { backoffMs, isPermanent, sleepUnlessAborted, type Followed } from './listen.ts';
import { enterRoom } from './rooms.ts';

/** Keys remembered per room, to tell a replayed message from a new one: two a message, the last 10,000 messages. */
const rememberedKeys = 20_000;
/**
 * A rejoin asks for history from this long before the last message seen: a live message's stamp
 * is our clock, the room's history is stamped by its own. What comes twice is dropped.
 */
const clockSlackMs = 10_000;

const bareOf = (jid: unknown) => String(jid ?? '').split('/')[0]!.toLowerCase();

/**
 * What identifies a message across replays: the room's own stanza-id (XEP-0359) where it stamps
 * one, and always id, sender and body, since a server may replay history without the stanza-id.
 */
function keysOf(stanza: Element, room: string): string[] {
  const stanzaId = stanza.getChildren('stanza-id', NS_SID).find((child) => bareOf(child.attrs.by) === room)?.attrs.id;
  const content = JSON.stringify([stanza.attrs.id ?? null, stanza.attrs.from, stanza.getChildText('body')]);
  const keys = [`content ${createHash('sha256').update(content).digest('base64')}`];
  return stanzaId === undefined ? keys : [`stanza-id ${stanzaId}`, ...keys];
}

class FollowedRoom {
  occupancy: Occupancy | undefined;
  private firstJoin: number | undefined;
  private lastJoin = 0;
  private lastSeen: number | undefined;
  private readonly printed = new Set<string>();

  constructor(readonly target: RoomTarget) {}

  get room(): string {
    return this.target.room.toLowerCase();
  }

  history(): History {
    if (this.firstJoin === undefined) return { maxstanzas: 0 };
    // Never before the first join: what was said then was never ours to show.
    return { since: new Date(Math.max(this.firstJoin, (this.lastSeen ?? this.lastJoin) - clockSlackMs)) };
  }

  joined(occupancy: Occupancy, at: number): void {
    this.occupancy = occupancy;
    this.firstJoin ??= at;
    this.lastJoin = at;
  }

  shown(keys: readonly string[]): boolean {
    return keys.some((key) => this.printed.has(key));
  }

  remember(keys: readonly string[], stamp: number): void {
    for (const key of keys) this.printed.add(key);
    // A Set iterates in insertion order: the oldest go first.
    for (const key of this.printed) {
      if (this.printed.size <= rememberedKeys) break;
      this.printed.delete(key);
    }
    this.lastSeen = Math.max(this.lastSeen ?? 0, stamp);
  }
}

export interface FollowOptions {
  timeoutMs: number;
  progress: (text: string) => void;
  /** Said even without -v: a room lost and rejoined. */
  notice: (text: string) => void;
  backoff?: (attempt: number) => number;
}

export class RoomFollower implements Followed {
  private readonly stanzas = new StanzaWaiters();
  private readonly rooms: FollowedRoom[];

  constructor(
    targets: readonly RoomTarget[],
    private readonly options: FollowOptions,
  ) {
    this.rooms = targets.map((target) => new FollowedRoom(target));
  }

  /** The session's hooks: room answers reach the joins, repeats stop here, the rest goes to `inner`. */
  hooks(inner: InboundHooks): InboundHooks {
    return {
      ...inner,
      onStanza: async (stanza) => {
        this.stanzas.onStanza(stanza);
        const room = this.roomOf(stanza);
        if (!room) return inner.onStanza?.(stanza);
        const keys = keysOf(stanza, room.room);
        if (room.shown(keys)) return this.options.progress(`${room.room}: dropped a message shown already`);
        // What the inbox hands back (the Pending of the line's write) counts the message.
        const outcome = await inner.onStanza?.(stanza);
        room.remember(keys, Date.parse(readMessage(stanza, Date.now())!.stamp));
        return outcome;
      },
    };
  }

  async join(session: Session): Promise<void> {
    const muc = this.muc(session);
    await Promise.all(this.rooms.map((room) => this.enter(muc, room)));
  }

  watch(session: Session, everyMs: number, signal: AbortSignal): Promise<never> {
    const muc = this.muc(session);
    return Promise.race(this.rooms.map((room) => this.keepIn(muc, room, everyMs, signal)));
  }

  async leave(session: Session): Promise<void> {
    const muc = this.muc(session);
    await Promise.all(this.rooms.map((room) => room.occupancy && muc.leave(room.occupancy)));
  }

  private muc(session: Session): Muc {
    return new Muc(session, this.stanzas, this.options.timeoutMs);
  }

  /** A groupchat message with a body from a room we follow. */
  private roomOf(stanza: Element): FollowedRoom | undefined {
    if (stanza.name !== 'message' || stanza.attrs.type !== 'groupchat' || stanza.getChildText('body') === null) return undefined;
    const from = bareOf(stanza.attrs.from);
    return this.rooms.find((room) => room.room === from);
  }

  private async enter(muc: Muc, room: FollowedRoom): Promise<void> {
    const history = room.history();
    room.joined(await enterRoom(muc, room.target, history, this.options.progress), Date.now());
  }

  /** Self-pings the room every `everyMs` and rejoins once it has lost us; ends (never resolving) with the connection. */
  private async keepIn(muc: Muc, room: FollowedRoom, everyMs: number, signal: AbortSignal): Promise<never> {
    for (;;) {
      await sleepUnlessAborted(everyMs, signal);
      if (signal.aborted) return new Promise<never>(() => {});
      // A failed ping is a broken connection: the connection's own watch reports it.
      const joined = await muc.stillJoined(room.occupancy!).catch(() => undefined);
      if (joined !== false) continue;
      this.options.notice(`${room.target.room}: no longer in the room; rejoining`);
      await this.rejoin(muc, room, signal);
    }
  }

  /** Transient failures are retried with back-off; a refusal no retry can fix rejects. */
  private async rejoin(muc: Muc, room: FollowedRoom, signal: AbortSignal): Promise<void> {
    const backoff = this.options.backoff ?? backoffMs;
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        await this.enter(muc, room);
        this.options.notice(`${room.target.room}: rejoined`);
        return;
      } catch (error) {
        if (signal.aborted) return;
        if (isPermanent(error)) throw error;
        const wait = backoff(attempt);
        this.options.notice(`${room.target.room}: rejoining failed (${explain(error)}); retrying in ${(wait / 1000).toFixed(1)} s`);
        await sleepUnlessAborted(wait, signal);
      }
    }
  }
}

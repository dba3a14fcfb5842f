// The responder's handling of what a session receives. A request is a chat or normal message with
// a body from an allowed sender: its body goes to the command's standard input, and the command's
// output goes back to the sender's full JID, in the request's thread and of its type. At most
// `concurrency` commands run at once, started in arrival order.
//
// A request counts as handled, and is acknowledged (XEP-0198), only once its reply is sent and the
// server has confirmed it by a ping; until then it is the server's, so a responder killed before
// that leaves it stored for the next start, which runs it again. Anything else is handled at once:
// a message from anyone else is logged on stderr and dropped, and its sender never runs anything.
//
// A request waiting for its turn holds only its sender, thread, type and body (the stanza itself is
// let go), and nothing of it is kept once answered.
import { randomUUID } from 'node:crypto';
import type { Element } from '@xmpp/xml';
import type { Pending, Session } from '../../xmpp/session.ts';
import { stanzaError } from '../modes/send.ts';
import type { ResponderSettings } from '../options/exchange.ts';
import { runCommand } from './command.ts';
import { composeReply, replyLimit } from './reply.ts';

interface Request {
  from: string;
  type: string;
  thread: string | null;
  body: string;
}

export interface ResponderIo {
  settings: ResponderSettings;
  /** A line on stderr, whatever -v says: refusals, failures, commands that did not exit 0. */
  log: (text: string) => void;
  progress: (text: string) => void;
}

export class Responder {
  private running = 0;
  private readonly turns: Array<() => void> = [];

  constructor(private readonly io: ResponderIo) {}

  /**
   * The stanza handler of one session. `session` is that session once open; `dropped` aborts when
   * it ends or rsxcc stops: then no command starts, those running are killed, and their requests
   * stay with the server.
   */
  handler(session: Promise<Session>, dropped: AbortSignal): (stanza: Element) => Pending | undefined {
    return (stanza) => {
      const request = this.requestIn(stanza);
      return request && { handled: this.answer(request, session, dropped) };
    };
  }

  private requestIn(stanza: Element): Request | undefined {
    if (stanza.name !== 'message') return undefined;
    const from = stanza.attrs.from ?? '';
    const type = stanza.attrs.type ?? 'normal';
    if (type === 'error') {
      this.io.log(`error reply from ${stanzaError(stanza, from).message}`);
      return undefined;
    }
    const body = stanza.getChildText('body');
    if (body === null) return undefined;
    if (!this.io.settings.allow.has(from.split('/')[0]!.toLowerCase())) {
      this.io.log(`ignored a message from ${from || 'the server'}: not an allowed sender (-A)`);
      return undefined;
    }
    if (type !== 'chat' && type !== 'normal') {
      this.io.log(`ignored a ${type} message from ${from}: requests are chat or normal messages`);
      return undefined;
    }
    return { from, type, thread: stanza.getChildText('thread'), body };
  }

  private async answer(request: Request, session: Promise<Session>, dropped: AbortSignal): Promise<boolean> {
    await this.turn();
    try {
      if (dropped.aborted) return false;
      this.io.progress(`request from ${request.from}: running the command`);
      const { settings } = this.io;
      const outcome = await runCommand(settings.command, request.body, {
        timeLimitMs: settings.timeLimitMs,
        outputLimit: replyLimit,
        signal: dropped,
        env: { RSXCC_FROM: request.from },
      });
      if (dropped.aborted) return false;
      const { body, notes } = composeReply(outcome, settings.timeLimitMs);
      if (notes.length > 0) this.io.log(`request from ${request.from}: ${notes.join('; ')}`);
      await this.reply(await session, request, body);
      return true;
    } catch (error) {
      // A session that ended took its requests' fate with it: the server has them again.
      if (dropped.aborted) return false;
      throw error;
    } finally {
      this.nextTurn();
    }
  }

  private async reply(session: Session, request: Request, body: string): Promise<void> {
    const { default: xml } = await import('@xmpp/xml');
    const thread = request.thread === null ? null : xml('thread', {}, request.thread);
    await session.send(xml('message', { to: request.from, type: request.type, id: randomUUID() }, xml('body', {}, body), thread));
    await session.ping();
    this.io.progress(`request from ${request.from}: answered, the server confirmed the reply`);
  }

  /** Resolves when this request may run: at once while fewer than `concurrency` do, else in arrival order. */
  private turn(): Promise<void> {
    if (this.running < this.io.settings.concurrency) {
      this.running += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.turns.push(resolve));
  }

  private nextTurn(): void {
    const next = this.turns.shift();
    if (next) next();
    else this.running -= 1;
  }
}

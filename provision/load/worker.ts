// One load process: its share of the users arrive on schedule, log in with TLS (rsxcc's own
// session code: certificate verified, SCRAM), send presence, chat with the other online users of
// this process, stay, leave. A dropped user logs in again (through HAProxy: to another node).
// Counts go to the parent once a second; the job and the password come over IPC, never argv.
// Started by run.ts with `node --import tsx`; it ends by itself at the job's deadline.
import { performance } from 'node:perf_hooks';
import type { Element } from '@xmpp/xml';
import { openSession, type Session } from '../../xmpp/session.ts';
import type { Tick } from './metrics.ts';
import { Counter, InFlight, Pace, Targets } from './traffic.ts';

export interface Job {
  worker: number;
  /** This worker's users, each with its arrival time in ms after startAt. */
  users: Array<{ name: string; arriveMs: number }>;
  domain: string;
  server: { host: string; port: number };
  caFile: string;
  password: string;
  /** Epoch ms at which second 0 of the run begins, the same for every worker. */
  startAt: number;
  durationMs: number;
  stayMs: number;
  messageIntervalMs: number;
  timeoutMs: number;
}

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'tick'; tick: Tick }
  | { type: 'done'; samples: string[] };

interface User {
  name: string;
  arriveMs: number;
  session?: Session;
  leaving: boolean;
}

/** Messages in flight land within this once the load stops; then the sessions close. */
const DRAIN_MS = 3000;
/** How often the chat timer sends what is due. */
const CHAT_STEP_MS = 100;

const send = (message: WorkerMessage) => new Promise<void>((resolve) => process.send!(message, undefined, {}, () => resolve()));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Xml = typeof import('@xmpp/xml').default;

/** One job from start to end: arrivals, logins, chat, a tick each second, then every session closed. */
class LoadRun {
  private readonly counter = new Counter();
  private readonly targets = new Targets<User>();
  private readonly inFlight = new InFlight<User>();
  private readonly pace = new Pace();
  private readonly users: User[];
  private open = 0;
  private seq = 0;

  constructor(
    private readonly job: Job,
    private readonly xml: Xml,
  ) {
    this.users = job.users.map((u) => ({ ...u, leaving: false }));
  }

  /** Arrivals and messages stop this long before the end, so that what is in flight lands. */
  private sending(): boolean {
    return Date.now() - this.job.startAt < this.job.durationMs - DRAIN_MS;
  }

  async run(): Promise<void> {
    const { job } = this;
    const arrivals = this.users.map((user) => setTimeout(() => this.arrive(user), Math.max(0, job.startAt + user.arriveMs - Date.now())));
    const chat = setInterval(() => this.chat(), CHAT_STEP_MS);
    await this.everySecond();
    clearInterval(chat);
    arrivals.forEach(clearTimeout);
    await this.end();
  }

  private arrive(user: User): void {
    if (!this.sending()) return;
    void this.login(user, false).then(() => {
      if (this.job.stayMs > 0 && user.session) setTimeout(() => this.leave(user), this.job.stayMs);
    });
  }

  private async login(user: User, again: boolean): Promise<void> {
    for (;;) {
      const started = performance.now();
      try {
        const session = await this.connect(user);
        return this.online(user, session, again, performance.now() - started);
      } catch (error) {
        // A first login fails once; a reconnect keeps trying (another node may take it) while the run lasts.
        if (!again || !this.sending()) return this.counter.fail(again ? 'reconnect' : 'login', error);
        await sleep(1000);
      }
    }
  }

  private async connect(user: User): Promise<Session> {
    const { job } = this;
    const session = await openSession({
      jid: `${user.name}@${job.domain}/load`,
      password: job.password,
      server: job.server,
      caFile: job.caFile,
      timeoutMs: job.timeoutMs,
      onStanza: (stanza) => this.received(stanza),
    });
    await session.send(this.xml('presence'));
    // Online for the others once the server has the presence, as a contact would learn it:
    // a cluster node registers a new session in a replicated table a moment after the bind,
    // and a message routed there before that goes to offline storage instead.
    await session.ping();
    return session;
  }

  private online(user: User, session: Session, again: boolean, loginMs: number): void {
    const { tick } = this.counter;
    tick.logins += 1;
    tick.loginMs.push(loginMs);
    if (again) tick.reconnects += 1;
    user.session = session;
    this.open += 1;
    if (!user.leaving) this.targets.add(user);
    void session.ended.then((error) => this.ended(user, error));
  }

  /** A session is gone: by the user's leave, or dropped by the server side (then it logs in again). */
  private ended(user: User, error: Error | undefined): void {
    this.open -= 1;
    user.session = undefined;
    this.targets.remove(user);
    if (!error || user.leaving || !this.sending()) return;
    this.counter.tick.drops += 1;
    this.inFlight.forget(user);
    // Spread the reconnections of a dead node's users instead of one burst.
    setTimeout(() => void this.login(user, true), Math.random() * 2000);
  }

  private leave(user: User): void {
    user.leaving = true;
    this.targets.remove(user);
    // What was already sent to the user lands before it goes.
    setTimeout(() => void user.session?.close(), DRAIN_MS);
  }

  /** Each online user sends one message per interval on average, to a random other online user. */
  private chat(): void {
    const { job } = this;
    if (job.messageIntervalMs <= 0 || !this.sending() || this.targets.size < 2) return;
    for (let due = this.pace.due(this.targets.size, job.messageIntervalMs, CHAT_STEP_MS); due > 0; due--) {
      const [from, to] = this.targets.pair()!;
      const id = `w${job.worker}-${++this.seq}`;
      this.inFlight.add(id, to, performance.now());
      this.counter.tick.sent += 1;
      // A failed write shows up as the sender's dropped session; nothing more to do here.
      from.session?.send(this.xml('message', { to: `${to.name}@${job.domain}/load`, type: 'chat', id }, this.xml('body', {}, `load ${id}`))).catch(() => {});
    }
  }

  private received(stanza: Element): void {
    if (!stanza.is('message')) return;
    const sent = this.inFlight.take(String(stanza.attrs.id));
    if (!sent) return;
    if (stanza.attrs.type === 'error') {
      this.counter.fail('stanza', `message to ${sent.to.name}: ${stanza.getChild('error')?.children.map((c) => (c as Element).name).join(' ')}`);
      return;
    }
    this.counter.tick.received += 1;
    this.counter.tick.latencyMs.push(performance.now() - sent.at);
  }

  /** Messages older than `ms` count as lost, if their recipient is still online to receive them. */
  private expire(ms: number): void {
    for (const { id, to } of this.inFlight.expire(performance.now(), ms)) {
      if (to.session) this.counter.fail('lost', `message ${id} to ${to.name} not delivered within ${this.job.timeoutMs / 1000} s`);
    }
  }

  /** A tick to the parent at whole seconds of the common clock, so that every worker's second N means the same. */
  private async everySecond(): Promise<void> {
    const { job } = this;
    while (this.counter.tick.second * 1000 < job.durationMs) {
      await sleep(Math.max(0, job.startAt + (this.counter.tick.second + 1) * 1000 - Date.now()));
      this.expire(job.timeoutMs);
      await send({ type: 'tick', tick: this.counter.roll(this.open) });
    }
  }

  private async end(): Promise<void> {
    this.expire(0);
    for (const user of this.users) user.leaving = true;
    await Promise.all(this.users.map((user) => user.session?.close()));
    await send({ type: 'tick', tick: this.counter.roll(this.open) });
    await send({ type: 'done', samples: this.counter.samples });
  }
}

async function runJob(job: Job): Promise<void> {
  const { default: xml } = await import('@xmpp/xml');
  await new LoadRun(job, xml).run();
}

process.on('message', (message: { type: 'job'; job: Job }) => {
  if (message.type !== 'job') return;
  // Whatever happens, this process is gone shortly after the run's end.
  setTimeout(() => process.exit(2), message.job.startAt - Date.now() + message.job.durationMs + 3 * message.job.timeoutMs + 10_000).unref();
  runJob(message.job).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`load worker: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
});
// Without the parent there is nobody to report to.
process.on('disconnect', () => process.exit(1));
void send({ type: 'ready' });

// One load process: its share of the users arrive on schedule, log in with TLS (rsxcc's own
// session code: certificate verified, SCRAM), send presence, chat with the other online users of
// this process, stay, leave. A dropped user logs in again (through HAProxy: to another node).
// Counts go to the parent once a second; the job and the password come over IPC, never argv.
// Started by run.ts with `node --import tsx`; it ends by itself at the job's deadline.
import { performance } from 'node:perf_hooks';
import type { Element } from '@xmpp/xml';
import { openSession, type Session } from '../../xmpp/session.ts';
import { emptyTick, type ErrorKind, type Tick } from './metrics.ts';

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
  session?: Session;
  leaving: boolean;
}

/** Messages in flight land within this once the load stops; then the sessions close. */
const DRAIN_MS = 3000;
const MAX_SAMPLES = 10;

const send = (message: WorkerMessage) => new Promise<void>((resolve) => process.send!(message, undefined, {}, () => resolve()));

async function runJob(job: Job): Promise<void> {
  const { default: xml } = await import('@xmpp/xml');
  const elapsed = () => Date.now() - job.startAt;
  const sendUntil = job.durationMs - DRAIN_MS;
  let tick = emptyTick(0);
  const samples: string[] = [];
  const fail = (kind: ErrorKind, why: unknown) => {
    tick.errors[kind] = (tick.errors[kind] ?? 0) + 1;
    if (samples.length < MAX_SAMPLES) samples.push(`${kind}: ${why instanceof Error ? why.message : String(why)}`);
  };

  let open = 0;
  // Users that may receive messages: online and not about to leave. An array for uniform picks.
  const targets: User[] = [];
  const untarget = (user: User) => {
    const i = targets.indexOf(user);
    if (i >= 0) targets.splice(i, 1);
  };
  const pending = new Map<string, { to: User; at: number }>();

  const onStanza = (stanza: Element) => {
    if (!stanza.is('message')) return;
    const sent = pending.get(String(stanza.attrs.id));
    if (!sent) return;
    pending.delete(String(stanza.attrs.id));
    if (stanza.attrs.type === 'error') {
      fail('stanza', `message to ${sent.to.name}: ${stanza.getChild('error')?.children.map((c) => (c as Element).name).join(' ')}`);
      return;
    }
    tick.received += 1;
    tick.latencyMs.push(performance.now() - sent.at);
  };

  async function login(user: User, again: boolean): Promise<void> {
    for (;;) {
      const started = performance.now();
      try {
        const session = await openSession({
          jid: `${user.name}@${job.domain}/load`,
          password: job.password,
          server: job.server,
          caFile: job.caFile,
          timeoutMs: job.timeoutMs,
          onStanza,
        });
        await session.send(xml('presence'));
        // Online for the others once the server has the presence, as a contact would learn it:
        // a cluster node registers a new session in a replicated table a moment after the bind,
        // and a message routed there before that goes to offline storage instead.
        await session.ping();
        tick.logins += 1;
        tick.loginMs.push(performance.now() - started);
        if (again) tick.reconnects += 1;
        user.session = session;
        open += 1;
        if (!user.leaving) targets.push(user);
        void session.ended.then((error) => {
          open -= 1;
          user.session = undefined;
          untarget(user);
          if (!error || user.leaving || elapsed() >= sendUntil) return;
          tick.drops += 1;
          for (const [id, p] of pending) if (p.to === user) pending.delete(id);
          // Spread the reconnections of a dead node's users instead of one burst.
          setTimeout(() => void login(user, true), Math.random() * 2000);
        });
        return;
      } catch (error) {
        // A first login fails once; a reconnect keeps trying (another node may take it) while the run lasts.
        if (!again || elapsed() >= sendUntil) return fail(again ? 'reconnect' : 'login', error);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  function leave(user: User): void {
    user.leaving = true;
    untarget(user);
    // What was already sent to the user lands before it goes.
    setTimeout(() => void user.session?.close(), DRAIN_MS);
  }

  const users = job.users.map((u) => ({ ...u, user: { name: u.name, leaving: false } as User }));
  const timers = users.map(({ user, arriveMs }) =>
    setTimeout(() => {
      if (elapsed() >= sendUntil) return;
      void login(user, false).then(() => {
        if (job.stayMs > 0 && user.session) setTimeout(() => leave(user), job.stayMs);
      });
    }, Math.max(0, job.startAt + arriveMs - Date.now())),
  );

  // Each online user sends one message per interval on average, to a random other online user.
  let quota = 0;
  let seq = 0;
  const chat = setInterval(() => {
    if (job.messageIntervalMs <= 0 || elapsed() >= sendUntil || targets.length < 2) return;
    quota += (targets.length * 100) / job.messageIntervalMs;
    for (; quota >= 1; quota -= 1) {
      const from = targets[Math.floor(Math.random() * targets.length)]!;
      let to = targets[Math.floor(Math.random() * (targets.length - 1))]!;
      if (to === from) to = targets[targets.length - 1]!;
      const id = `w${job.worker}-${++seq}`;
      pending.set(id, { to, at: performance.now() });
      tick.sent += 1;
      // A failed write shows up as the sender's dropped session; nothing more to do here.
      from.session?.send(xml('message', { to: `${to.name}@${job.domain}/load`, type: 'chat', id }, xml('body', {}, `load ${id}`))).catch(() => {});
    }
  }, 100);

  const expire = (all: boolean) => {
    const now = performance.now();
    for (const [id, p] of pending) {
      if (!all && now - p.at < job.timeoutMs) continue;
      pending.delete(id);
      if (p.to.session) fail('lost', `message ${id} to ${p.to.name} not delivered within ${job.timeoutMs / 1000} s`);
    }
  };
  const flush = async () => {
    expire(false);
    tick.sessions = open;
    const done = tick;
    tick = emptyTick(done.second + 1);
    await send({ type: 'tick', tick: done });
  };
  // Ticks at whole seconds of the common clock, so that every worker's second N means the same.
  await new Promise<void>((resolve) => {
    const next = () => {
      const wait = job.startAt + (tick.second + 1) * 1000 - Date.now();
      setTimeout(() => {
        void flush().then(() => (tick.second * 1000 >= job.durationMs ? resolve() : next()));
      }, Math.max(0, wait));
    };
    next();
  });

  clearInterval(chat);
  timers.forEach(clearTimeout);
  expire(true);
  for (const { user } of users) user.leaving = true;
  await Promise.all(users.map(({ user }) => user.session?.close()));
  tick.sessions = open;
  await send({ type: 'tick', tick });
  await send({ type: 'done', samples });
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

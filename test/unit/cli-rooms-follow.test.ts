// rsxcc -c -g against a fake room behind the fake server: room messages printed with room and
// nick; after a reconnect or a lost occupancy the rejoin asks for history since the last message
// seen and drops what was printed already; a refusal no rejoin can fix ends the run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { exitCodeOf } from '../../cli/errors.ts';
import { RoomFollower } from '../../cli/modes/follow-rooms.ts';
import { listen } from '../../cli/modes/listen.ts';
import { catchUp, Inbox, receiving } from '../../cli/modes/unread.ts';
import { LinePrinter } from '../../cli/output.ts';
import { withFakeServer, type FakeServer } from './fake-xmpp-server.ts';
import { FakeRoom, ME } from './fake-muc.ts';
import { rsxccOptions } from './rsxcc-run.ts';

const LAB = 'lab@conference.example.org';

interface Following {
  server: FakeServer;
  output: () => string;
  notices: string[];
  progress: string[];
  until: (what: string, ok: () => boolean) => Promise<void>;
  /** The run's end: undefined once stopped cleanly, else its failure. */
  ended: Promise<Error | undefined>;
}

/** `rsxcc -c -g lab/alice -o FORMAT` as listen.ts runs it, self-pinging every `selfPingMs`, stopped after `fn`. */
async function follow(room: FakeRoom, format: 'text' | 'json', selfPingMs: number, fn: (following: Following) => Promise<void>): Promise<void> {
  const options = await rsxccOptions(['-c', '-g', `${LAB}/alice`, '-T', '1']);
  await withFakeServer([], room.route, async (server, login) => {
    let output = '';
    const stdout = new Writable({ write: (chunk, _encoding, done) => ((output += String(chunk)), done()) });
    const notices: string[] = [];
    const progress: string[] = [];
    const common = { timeoutMs: options.timeoutMs, progress: (text: string) => progress.push(text), notice: (text: string) => notices.push(text), backoff: () => 0 };
    const stop = new AbortController();
    const inbox = new Inbox(new LinePrinter(stdout, format));
    const rooms = new RoomFollower(options.rooms, common);
    const hooks = rooms.hooks(receiving(inbox));
    let finished = false;
    const catchingUp = { quietMs: 0, timeoutMs: options.timeoutMs, progress: common.progress, stayAvailable: true };
    const ended = listen(() => login({ ...hooks, timeoutMs: options.timeoutMs }), (session) => catchUp(session, inbox, catchingUp), { ...common, keepaliveMs: 60_000, rooms, selfPingMs, signal: stop.signal })
      .then(
        () => undefined,
        (error: Error) => error,
      )
      .finally(() => (finished = true));
    const until = async (what: string, ok: () => boolean) => {
      for (const deadline = Date.now() + 3000; !ok(); await new Promise((resolve) => setTimeout(resolve, 10))) {
        if (Date.now() > deadline) throw new Error(`waited 3 s for ${what}; output: ${output}; notices: ${notices.join(' | ')}`);
      }
    };
    try {
      await until('the rooms joined, or the run over', () => progress.includes('waiting for messages') || finished);
      await fn({ server, output: () => output, notices, progress, until, ended });
    } finally {
      stop.abort();
      await ended;
    }
  });
}

const historyOf = (room: FakeRoom, join: number) => room.joins[join]!.getChild('x', 'http://jabber.org/protocol/muc')!.getChild('history')!.attrs;
const count = (text: string, part: string) => text.split(part).length - 1;

test('given alice follows a room, when bob speaks there and carol writes to her directly, then text shows room/nick and JSON has room, nick and type groupchat (null for the direct one)', async () => {
  for (const format of ['text', 'json'] as const) {
    const room = new FakeRoom(LAB);
    await follow(room, format, 60_000, async ({ server, output, until }) => {
      assert.deepEqual(historyOf(room, 0), { maxstanzas: '0' }, 'a first join asks for no history');
      room.say('bob', 'hello all');
      server.push(`<message from='carol@example.org/x' to='${ME}' type='chat' id='d1'><body>direct</body></message>`);
      await until('both messages', () => output().includes('direct'));
      if (format === 'text') {
        assert.match(output(), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ lab@conference\.example\.org\/bob \[groupchat\]: hello all\n/);
      } else {
        const [said, direct] = output().trim().split('\n').map((line) => JSON.parse(line));
        assert.deepEqual([said.room, said.nick, said.type, said.body], [LAB, 'bob', 'groupchat', 'hello all']);
        assert.deepEqual([direct.room, direct.nick, direct.type], [null, null, 'chat']);
      }
    });
    assert.equal(room.occupant, undefined, 'stopping left the room');
  }
});

test('given a followed room, when the connection drops and bob spoke meanwhile, then the rejoin asks for history since the last message seen and the repeat is dropped', async () => {
  for (const stanzaIds of [true, false]) {
    const room = new FakeRoom(LAB, { stanzaIds });
    await follow(room, 'text', 60_000, async ({ server, output, notices, progress, until }) => {
      room.say('bob', 'one');
      await until('"one"', () => output().includes('one'));
      const seen = Date.now();
      room.forget();
      server.drop();
      room.say('bob', 'two');
      await until('"two" after the reconnect', () => output().includes('two'));
      assert.ok(notices.some((text) => text.startsWith('connection lost')), 'premise: the connection dropped');
      const since = Date.parse(String(historyOf(room, 1).since));
      assert.ok(since <= seen && since > seen - 60_000, `since ${historyOf(room, 1).since}`);
      assert.ok(progress.includes(`${LAB}: dropped a message shown already`), 'premise: the room replayed "one"');
      assert.equal(count(output(), 'bob [groupchat]: one'), 1, `stanza-id ${stanzaIds}: ${output()}`);
      assert.equal(count(output(), 'bob [groupchat]: two'), 1);
    });
  }
});

test('given a followed room that loses alice while her connection stays up, when the self-ping is refused, then she rejoins (history since) without reconnecting', async () => {
  const room = new FakeRoom(LAB);
  await follow(room, 'text', 50, async ({ notices, until }) => {
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(room.joins.length, 1, 'self-pings answered: no rejoin');
    room.forget();
    await until('the rejoin', () => notices.includes(`${LAB}: rejoined`));
    assert.deepEqual(notices, [`${LAB}: no longer in the room; rejoining`, `${LAB}: rejoined`]);
    assert.equal(room.joins.length, 2);
    assert.ok(historyOf(room, 1).since, 'the rejoin asks for what was said meanwhile');
  });
});

test('given a followed room, when a rejoin fails for now (service-unavailable), then it is retried with back-off until it works', async () => {
  const room = new FakeRoom(LAB);
  await follow(room, 'text', 50, async ({ notices, until }) => {
    room.behaviour = { refuseJoin: 'service-unavailable' };
    room.forget();
    await until('a failed rejoin', () => notices.some((text) => text.includes('rejoining failed')));
    assert.match(notices.find((text) => text.includes('rejoining failed'))!, /the room is full or unavailable \(service-unavailable\)\); retrying in 0\.0 s$/);
    room.behaviour = {};
    await until('the rejoin', () => notices.includes(`${LAB}: rejoined`));
  });
});

test('given a followed room, when it bans alice and refuses her rejoin (forbidden), then the run ends with 77', async () => {
  const room = new FakeRoom(LAB);
  await follow(room, 'text', 50, async ({ ended }) => {
    room.behaviour = { refuseJoin: 'forbidden' };
    room.forget();
    const error = await ended;
    assert.equal(exitCodeOf(error), 77, String(error));
    assert.match(error!.message, /banned from the room/);
  });
});

test('given a room that refuses the first join (not a member), when alice starts following it, then the run ends at once with 77', async () => {
  const room = new FakeRoom(LAB, { refuseJoin: 'registration-required' });
  await follow(room, 'text', 50, async ({ ended }) => {
    const error = await ended;
    assert.equal(exitCodeOf(error), 77, String(error));
    assert.equal(room.joins.length, 1, 'not retried');
  });
});

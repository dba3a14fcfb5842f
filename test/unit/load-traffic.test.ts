// A load worker's bookkeeping: counts per second, who receives, what is in flight, the chat's pace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, InFlight, MAX_SAMPLES, Pace, Targets } from '../../provision/load/traffic.ts';

test('errors are counted by kind in the current second, each message kept as said', () => {
  const counter = new Counter();
  counter.fail('login', new Error('refused'));
  counter.fail('lost', 'message w0-1 to load3 not delivered');
  counter.fail('login', new Error('timed out'));
  assert.deepEqual(counter.tick.errors, { login: 2, lost: 1 });
  assert.deepEqual(counter.samples, ['login: refused', 'lost: message w0-1 to load3 not delivered', 'login: timed out']);
});

test('past the first few, errors are still counted but their messages no longer kept', () => {
  const counter = new Counter();
  for (let i = 0; i < 2 * MAX_SAMPLES; i++) counter.fail('stanza', `e${i}`);
  assert.equal(counter.tick.errors.stanza, 2 * MAX_SAMPLES);
  assert.deepEqual(counter.samples, Array.from({ length: MAX_SAMPLES }, (_, i) => `stanza: e${i}`));
});

test('a second is closed with the sessions online at its end; the next one starts empty', () => {
  const counter = new Counter();
  counter.tick.sent = 5;
  const first = counter.roll(7);
  assert.deepEqual([first.second, first.sent, first.sessions], [0, 5, 7]);
  assert.deepEqual([counter.tick.second, counter.tick.sent, counter.tick.sessions], [1, 0, 0]);
  assert.equal(counter.roll(3).second, 1);
});

test('a pair is a sender and a different recipient, every ordered pair as likely as any other', () => {
  const targets = new Targets<string>();
  for (const user of ['a', 'b', 'c']) targets.add(user);
  const counts = new Map<string, number>();
  const steps = 60;
  // Every combination of the two draws, evenly spread over [0, 1).
  for (let i = 0; i < steps; i++) {
    for (let j = 0; j < steps; j++) {
      const draws = [(i + 0.5) / steps, (j + 0.5) / steps];
      const [from, to] = targets.pair(() => draws.shift()!)!;
      assert.notEqual(from, to);
      counts.set(from + to, (counts.get(from + to) ?? 0) + 1);
    }
  }
  assert.deepEqual([...counts.keys()].sort(), ['ab', 'ac', 'ba', 'bc', 'ca', 'cb']);
  assert.deepEqual(new Set(counts.values()), new Set([steps * steps / 6]));
});

test('no pair below two targets; a removed user is never picked', () => {
  const targets = new Targets<string>();
  targets.add('a');
  assert.equal(targets.pair(), undefined);
  targets.add('b');
  targets.add('c');
  targets.remove('b');
  targets.remove('nobody');
  assert.equal(targets.size, 2);
  for (let i = 0; i < 50; i++) assert.ok(!targets.pair()!.includes('b'));
});

test('a message in flight is taken once; a dropped recipient\'s messages are forgotten', () => {
  const flight = new InFlight<string>();
  flight.add('m1', 'bob', 10);
  flight.add('m2', 'carol', 20);
  flight.add('m3', 'bob', 30);
  assert.deepEqual(flight.take('m2'), { id: 'm2', to: 'carol', at: 20 });
  assert.equal(flight.take('m2'), undefined, 'a duplicate delivery counts once');
  flight.forget('bob');
  assert.deepEqual(flight.expire(1_000, 0), []);
});

test('expiry returns the messages at least that old and keeps the rest; 0 returns every one', () => {
  const flight = new InFlight<string>();
  flight.add('old', 'bob', 0);
  flight.add('edge', 'bob', 500);
  flight.add('new', 'bob', 900);
  assert.deepEqual(flight.expire(1_500, 1_000).map((m) => m.id), ['old', 'edge']);
  assert.deepEqual(flight.expire(1_500, 1_000), []);
  assert.deepEqual(flight.expire(1_500, 0).map((m) => m.id), ['new']);
});

test('the pace sends one message per user and interval on average, fractions carried over', () => {
  const pace = new Pace();
  // 10 users, one message each per 2 s, a step every 100 ms: one message every other step.
  const due = Array.from({ length: 6 }, () => pace.due(10, 2000, 100));
  assert.deepEqual(due, [0, 1, 0, 1, 0, 1]);
  const busy = new Pace();
  const total = Array.from({ length: 20 }, () => busy.due(35, 1000, 100)).reduce((a, b) => a + b, 0);
  assert.equal(total, 70, '35 users for 2 s at one a second');
});

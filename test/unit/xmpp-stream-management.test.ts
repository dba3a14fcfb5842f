// XEP-0198 for what we receive, against a fake stream: nothing is acknowledged before its handler
// has finished with it; one <a/> per event-loop turn; the socket pauses while 256 stanzas wait for
// their handler and resumes at 64; a failed handler stops all acknowledgement; a stanza taken on as
// Pending counts once it settles, in arrival order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import xml, { type Element } from '@xmpp/xml';
import { NS_SM, pauseAt, resumeAt, StreamManagement, type StreamManagementIo } from '../../xmpp/stream-management.ts';

const turn = () => new Promise((resolve) => setImmediate(resolve));
const message = (n: number) => xml('message', { from: 'a@b.c', id: `m${n}` }, xml('body', {}, `${n}`));
const smFeatures = xml('stream:features', {}, xml('sm', { xmlns: NS_SM }));

/** A handler whose every call waits until released; the queue calls it for one stanza at a time. */
function gate() {
  const waiting: Array<() => void> = [];
  const handled: string[] = [];
  return {
    handled,
    onStanza: (stanza: Element) =>
      new Promise<void>((resolve) => waiting.push(() => (handled.push(String(stanza.attrs.id)), resolve()))),
    release: async (n = 1) => {
      for (let i = 0; i < n; i++) {
        await turn();
        waiting.shift()?.();
      }
      await turn();
    },
    pending: () => waiting.length,
  };
}

function setUp(io: Partial<StreamManagementIo> = {}) {
  const log = { written: [] as string[], pauses: 0, resumes: 0, failures: [] as Error[], progress: [] as string[], online: true };
  const sm = new StreamManagement({
    xml,
    write: async (element) => void log.written.push(String(element)),
    online: () => log.online,
    pause: () => void log.pauses++,
    resume: () => void log.resumes++,
    fail: (error) => void log.failures.push(error),
    progress: (text) => void log.progress.push(text),
    acknowledgeEach: true,
    ...io,
  });
  const enable = () => sm.enable(smFeatures, async () => xml('enabled', { xmlns: NS_SM }));
  return { sm, log, enable };
}

const acks = (written: string[]) => written.filter((text) => text.startsWith('<a '));

test('enable: only where offered; true once the server answers <enabled/>, false when it refuses', async () => {
  const { sm, log } = setUp();
  const asked: string[] = [];
  assert.equal(await sm.enable(xml('stream:features'), async (enable) => (asked.push(String(enable)), xml('enabled', { xmlns: NS_SM }))), false);
  assert.equal(asked.length, 0, 'not offered: not asked');
  assert.equal(await sm.enable(smFeatures, async (enable) => (asked.push(String(enable)), xml('failed', { xmlns: NS_SM }))), false);
  assert.equal(await sm.enable(smFeatures, async (enable) => (asked.push(String(enable)), xml('enabled', { xmlns: NS_SM }))), true);
  assert.deepEqual(asked, [`<enable xmlns="${NS_SM}"/>`, `<enable xmlns="${NS_SM}"/>`]);
  assert.deepEqual(log.progress, ['stream management refused by the server', 'stream management enabled']);
});

test('no <a/> for a stanza before its handler has finished with it', async () => {
  const handler = gate();
  const { sm, log, enable } = setUp({ onStanza: handler.onStanza });
  await enable();
  sm.receive(message(1));
  await turn();
  await turn();
  assert.deepEqual(acks(log.written), [], 'received, not handled: nothing acknowledged');
  await handler.release();
  await turn();
  assert.deepEqual(acks(log.written), [`<a xmlns="${NS_SM}" h="1"/>`]);
});

test('the server\'s <r/> is answered with the count handled, not the count received', async () => {
  const handler = gate();
  const { sm, log, enable } = setUp({ onStanza: handler.onStanza, acknowledgeEach: false });
  await enable();
  for (const n of [1, 2, 3]) sm.receive(message(n));
  await handler.release();
  sm.receive(xml('r', { xmlns: NS_SM }));
  assert.deepEqual(acks(log.written), [`<a xmlns="${NS_SM}" h="1"/>`]);
  assert.equal(String(sm.finalAcknowledgement()), `<a xmlns="${NS_SM}" h="1"/>`);
});

test('messages handled in one event-loop turn share one <a/>; without acknowledgeEach only <r/> and close acknowledge', async () => {
  const { sm, log, enable } = setUp();
  await enable();
  for (const n of [1, 2, 3, 4, 5]) sm.receive(message(n));
  await sm.idle();
  await turn();
  assert.deepEqual(acks(log.written), [`<a xmlns="${NS_SM}" h="5"/>`]);
  const quiet = setUp({ acknowledgeEach: false });
  await quiet.enable();
  quiet.sm.receive(message(1));
  await quiet.sm.idle();
  await turn();
  assert.deepEqual(acks(quiet.log.written), []);
});

test('stanzas received before <enabled/> are handled but never counted', async () => {
  const seen: string[] = [];
  const { sm, enable } = setUp({ onStanza: (stanza) => void seen.push(String(stanza.attrs.id)) });
  sm.receive(message(1));
  await sm.idle();
  assert.equal(sm.finalAcknowledgement(), undefined, 'without XEP-0198 there is nothing to acknowledge');
  await enable();
  sm.receive(message(2));
  await sm.idle();
  assert.deepEqual(seen, ['m1', 'm2']);
  assert.equal(String(sm.finalAcknowledgement()), `<a xmlns="${NS_SM}" h="1"/>`);
});

test(`backpressure: the socket pauses when ${pauseAt} stanzas wait for their handler and resumes at ${resumeAt}`, async () => {
  const handler = gate();
  const { sm, log } = setUp({ onStanza: handler.onStanza });
  for (let n = 1; n < pauseAt; n++) sm.receive(message(n));
  assert.equal(log.pauses, 0, `${pauseAt - 1} waiting: still reading`);
  sm.receive(message(pauseAt));
  assert.equal(log.pauses, 1);
  for (let n = pauseAt + 1; n <= 300; n++) sm.receive(message(n));
  assert.equal(log.pauses, 1, 'paused once');
  await handler.release(300 - resumeAt - 1);
  assert.equal(log.resumes, 0, `${resumeAt + 1} waiting: still paused`);
  await handler.release();
  assert.equal(log.resumes, 1);
  await handler.release(resumeAt);
  await sm.idle();
  assert.deepEqual([log.pauses, log.resumes, handler.handled.length], [1, 1, 300]);
  assert.deepEqual(handler.handled.slice(0, 3), ['m1', 'm2', 'm3'], 'in arrival order');
});

test('a handler that fails ends the session and nothing after it is acknowledged', async () => {
  const { sm, log, enable } = setUp({
    onStanza: async (stanza) => {
      if (stanza.attrs.id === 'm2') throw new Error('EPIPE');
    },
  });
  await enable();
  for (const n of [1, 2, 3]) sm.receive(message(n));
  await sm.idle();
  await turn();
  assert.deepEqual(log.failures.map((e) => e.message), ['EPIPE']);
  assert.equal(sm.broken, true);
  sm.receive(message(4));
  sm.receive(xml('r', { xmlns: NS_SM }));
  await sm.idle();
  await turn();
  assert.deepEqual(acks(log.written), [`<a xmlns="${NS_SM}" h="1"/>`, `<a xmlns="${NS_SM}" h="1"/>`], 'h stays at the last stanza handled before the failure');
});

test('after stop() nothing more is handled or acknowledged, so the server keeps it', async () => {
  const seen: string[] = [];
  const { sm, log, enable } = setUp({ onStanza: (stanza) => void seen.push(String(stanza.attrs.id)) });
  await enable();
  sm.receive(message(1));
  sm.stop();
  sm.receive(message(2));
  await sm.idle();
  await turn();
  assert.deepEqual(seen, ['m1']);
  assert.deepEqual(acks(log.written), [], 'the batched <a/> of a stopped stream is not written');
  assert.equal(String(sm.finalAcknowledgement()), `<a xmlns="${NS_SM}" h="1"/>`);
});

test('only stanzas reach the handler: stream features and other nonzas do not', async () => {
  const seen: string[] = [];
  const { sm } = setUp({ onStanza: (stanza) => void seen.push(stanza.name) });
  for (const element of [xml('presence'), xml('iq', { type: 'result' }), smFeatures, xml('a', { xmlns: NS_SM, h: '3' }), message(1)]) sm.receive(element);
  await sm.idle();
  assert.deepEqual(seen, ['presence', 'iq', 'message']);
});

/** A Pending settled from outside, as a responder settles a request once its reply is confirmed. */
function pending() {
  let settle: (handled: boolean) => void = () => {};
  const handled = new Promise<boolean>((resolve) => (settle = resolve));
  return { pending: { handled }, settle };
}

test('a stanza taken on as Pending lets the next one through at once, and counts only once it settles, in arrival order', async () => {
  const requests = new Map([1, 2, 3].map((n) => [`m${n}`, pending()]));
  const dispatched: string[] = [];
  const { sm, log, enable } = setUp({
    onStanza: (stanza) => {
      dispatched.push(String(stanza.attrs.id));
      return requests.get(String(stanza.attrs.id))!.pending;
    },
  });
  await enable();
  for (const n of [1, 2, 3]) sm.receive(message(n));
  await turn();
  assert.deepEqual(dispatched, ['m1', 'm2', 'm3'], 'premise: all three handed over while none is finished');
  requests.get('m2')!.settle(true);
  requests.get('m3')!.settle(true);
  await turn();
  await turn();
  assert.deepEqual(acks(log.written), [], 'm2 and m3 are done, but h may not count past m1, still pending');
  requests.get('m1')!.settle(true);
  await sm.idle();
  await turn();
  assert.deepEqual(acks(log.written), [`<a xmlns="${NS_SM}" h="3"/>`]);
});

test('a Pending that settles false stays with the server, and so does everything after it', async () => {
  const { sm, log, enable } = setUp({
    onStanza: (stanza) => (stanza.attrs.id === 'm2' ? { handled: Promise.resolve(false) } : undefined),
  });
  await enable();
  for (const n of [1, 2, 3]) sm.receive(message(n));
  await sm.idle();
  await turn();
  assert.deepEqual(acks(log.written), [`<a xmlns="${NS_SM}" h="1"/>`]);
  assert.equal(String(sm.finalAcknowledgement()), `<a xmlns="${NS_SM}" h="1"/>`, 'm3 was handled, but h counts a prefix');
  assert.deepEqual(log.failures, [], 'leaving a stanza with the server is not a failure');
});

test('idle() waits for what is pending; a Pending that rejects fails the session', async () => {
  const request = pending();
  const { sm, log, enable } = setUp({ onStanza: (stanza) => (stanza.attrs.id === 'm1' ? request.pending : { handled: Promise.reject(new Error('spawn failed')) }) });
  await enable();
  sm.receive(message(1));
  let idle = false;
  void sm.idle().then(() => (idle = true));
  await turn();
  assert.equal(idle, false, 'm1 is still pending');
  request.settle(true);
  await turn();
  assert.equal(idle, true);
  sm.receive(message(2));
  await sm.idle();
  assert.deepEqual(log.failures.map((e) => e.message), ['spawn failed']);
  assert.equal(sm.broken, true);
});

test('a Pending shared by several stanzas counts them together, and one handled at once behind them waits for it', async () => {
  const shared = pending();
  let calls = 0;
  const { sm, log, enable } = setUp({ onStanza: (stanza) => (calls++, stanza.attrs.id === 'm4' ? undefined : shared.pending) });
  await enable();
  for (const n of [1, 2, 3, 4]) sm.receive(message(n));
  assert.equal(calls, 4, 'handed over at once, none waits for another');
  await turn();
  await turn();
  assert.deepEqual(acks(log.written), [], 'm4 was handled at once, but h counts a prefix');
  shared.settle(true);
  await sm.idle();
  await turn();
  assert.deepEqual(acks(log.written), [`<a xmlns="${NS_SM}" h="4"/>`]);
});

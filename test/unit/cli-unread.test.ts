// rsxcc unread/continuous building blocks: what the inbox prints and marks for removal, when
// the quiet window ends, how reconnects back off, and that debug output never shows credentials.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import xml from '@xmpp/xml';
import { TimeoutError } from '../../xmpp/errors.ts';
import { Inbox, NS_OFFLINE, quietWindow } from '../../cli/modes/unread.ts';
import { backoffMs } from '../../cli/modes/listen.ts';
import { redact } from '../../cli/debug.ts';
import type { ReceivedMessage } from '../../cli/output.ts';

const offlineMessage = (node: string, body?: string) =>
  xml('message', { from: 'a@b.c', type: 'chat' }, body === undefined ? null : xml('body', {}, body), xml('offline', { xmlns: NS_OFFLINE }, xml('item', { node })));

/** What a stanza's handling came to: true once its line is written, undefined when there was nothing to wait for. */
const handled = async (outcome: ReturnType<Inbox['onStanza']>) => (await outcome)?.handled;

test('the inbox prints messages with a body and marks XEP-0013 items done only after printing', async () => {
  const printed: string[] = [];
  let release: () => void = () => {};
  const inbox = new Inbox({
    print: async (message: ReceivedMessage) => {
      await new Promise<void>((resolve) => (release = resolve));
      printed.push(message.body);
    },
  });
  const handling = handled(inbox.onStanza(offlineMessage('17', 'hello')));
  assert.deepEqual(inbox.takeDoneNodes(), [], 'not done while the write is pending');
  release();
  assert.equal(await handling, true, 'handled once written');
  assert.equal(await handled(inbox.onStanza(offlineMessage('18'))), undefined, 'nothing to print: handled at once');
  assert.equal(await handled(inbox.onStanza(xml('presence', { from: 'a@b.c' }))), undefined);
  assert.deepEqual(printed, ['hello']);
  assert.equal(inbox.printed, 1);
  assert.deepEqual(inbox.takeDoneNodes(), ['17', '18'], 'a bodiless stored message has nothing to print and is done too');
  assert.deepEqual(inbox.takeDoneNodes(), [], 'each node is handed over once');
});

test('a failed write leaves the item unmarked, so it is not removed from the server', async () => {
  const inbox = new Inbox({
    print: async () => {
      throw new Error('EPIPE');
    },
  });
  await assert.rejects(handled(inbox.onStanza(offlineMessage('5', 'lost pipe'))), /EPIPE/);
  assert.deepEqual(inbox.takeDoneNodes(), []);
});

test('the quiet window ends quietMs after the last arrival, and restarts on each new message', async () => {
  const start = Date.now();
  // With a real clock: no arrivals means exactly one window.
  const real = new Inbox({ print: async () => {} });
  const t0 = Date.now();
  await quietWindow(real, 40, 5000);
  const waited = Date.now() - t0;
  assert.ok(waited >= 39 && waited < 400, `waited ${waited} ms`);
  // An arrival during the window pushes the end out.
  const t1 = Date.now();
  setTimeout(() => (real.lastArrival = Date.now()), 30);
  await quietWindow(real, 60, 5000);
  assert.ok(Date.now() - t1 >= 85, `waited only ${Date.now() - t1} ms`);
  assert.ok(Date.now() - start < 2000);
});

test('messages that never stop arriving end the window with a time-out, not a hang', async () => {
  const inbox = new Inbox({ print: async () => {} });
  const flood = setInterval(() => (inbox.lastArrival = Date.now()), 5);
  try {
    await assert.rejects(quietWindow(inbox, 50, 200), (error: Error) => error instanceof TimeoutError && /kept arriving for 0.2 s/.test(error.message));
  } finally {
    clearInterval(flood);
  }
});

test('reconnect back-off doubles from 1 s to a 30 s cap, with +-20 % jitter', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 20].map((attempt) => backoffMs(attempt, () => 0.5)), [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  assert.equal(backoffMs(0, () => 0), 800);
  assert.equal(backoffMs(0, () => 1), 1200);
});

test('debug output blanks SASL payloads and masks the password wherever it appears', () => {
  const auth = xml('auth', { xmlns: 'urn:ietf:params:xml:ns:xmpp-sasl', mechanism: 'PLAIN' }, btoa('\0bob\0hunter2'));
  assert.equal(redact(auth, 'hunter2'), '<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="PLAIN">[redacted]</auth>');
  const response = xml('response', { xmlns: 'urn:ietf:params:xml:ns:xmpp-sasl' }, 'Yz1iaXdz');
  assert.doesNotMatch(redact(response, 'x'), /Yz1iaXdz/);
  const message = xml('message', { to: 'a@b.c' }, xml('body', {}, 'my password is hunter2'));
  assert.equal(redact(message, 'hunter2'), '<message to="a@b.c"><body>my password is [redacted]</body></message>');
  assert.equal(redact(xml('success', { xmlns: 'urn:ietf:params:xml:ns:xmpp-sasl' }), 'pw'), '<success xmlns="urn:ietf:params:xml:ns:xmpp-sasl"/>');
});

// rsxcc output: what a message looks like on stdout, for people (text) and programs (JSON lines).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import xml from '@xmpp/xml';
import { formatJson, formatText, LinePrinter, readMessage } from '../../cli/output.ts';

const arrival = Date.parse('2026-01-02T03:04:05.678Z');

test('a delayed message takes its XEP-0203 stamp, normalised to ISO 8601 UTC', () => {
  const stanza = xml(
    'message',
    { from: 'alice@example.org/phone', to: 'bob@example.org', type: 'chat', id: 'm1' },
    xml('delay', { xmlns: 'urn:xmpp:delay', stamp: '2025-12-31T23:59:58+01:00' }),
    xml('body', {}, 'hello'),
  );
  assert.deepEqual(readMessage(stanza, arrival), {
    from: 'alice@example.org/phone',
    to: 'bob@example.org',
    type: 'chat',
    id: 'm1',
    subject: null,
    body: 'hello',
    stamp: '2025-12-31T22:59:58.000Z',
    delayed: true,
    room: null,
    nick: null,
  });
});

test('a groupchat message names its room and the nick that said it; a message from the room itself has no nick', () => {
  const said = readMessage(xml('message', { from: 'lab@conference.example.org/carol/phone', type: 'groupchat' }, xml('body', {}, 'hi all')), arrival)!;
  assert.equal(said.room, 'lab@conference.example.org');
  assert.equal(said.nick, 'carol/phone', 'a nick may contain a slash');
  const notice = readMessage(xml('message', { from: 'lab@conference.example.org', type: 'groupchat' }, xml('body', {}, 'room restarted')), arrival)!;
  assert.deepEqual([notice.room, notice.nick], ['lab@conference.example.org', null]);
  const direct = readMessage(xml('message', { from: 'lab@conference.example.org/carol', type: 'chat' }, xml('body', {}, 'psst')), arrival)!;
  assert.deepEqual([direct.room, direct.nick], [null, null], 'a private message through the room is a direct message');
});

test('a live message is stamped with its arrival; type defaults to normal, a missing id is null', () => {
  const message = readMessage(xml('message', { from: 'a@b.c', to: 'd@b.c' }, xml('body', {}, 'x')), arrival)!;
  assert.equal(message.stamp, '2026-01-02T03:04:05.678Z');
  assert.equal(message.delayed, false);
  assert.equal(message.type, 'normal');
  assert.equal(message.id, null);
});

test('an unparseable delay stamp falls back to arrival but still says delayed', () => {
  const stanza = xml('message', { from: 'a@b.c' }, xml('delay', { xmlns: 'urn:xmpp:delay', stamp: 'yesterday' }), xml('body', {}, 'x'));
  const message = readMessage(stanza, arrival)!;
  assert.equal(message.stamp, new Date(arrival).toISOString());
  assert.equal(message.delayed, true);
});

test('stanzas without a body (chat states, receipts) and non-messages are not output', () => {
  assert.equal(readMessage(xml('message', { from: 'a@b.c' }, xml('active', { xmlns: 'http://jabber.org/protocol/chatstates' })), arrival), undefined);
  assert.equal(readMessage(xml('presence', { from: 'a@b.c' }), arrival), undefined);
});

test('an empty body is still a message', () => {
  assert.equal(readMessage(xml('message', { from: 'a@b.c' }, xml('body')), arrival)?.body, '');
});

test('JSON output is one line per message with exactly the documented fields, in order', () => {
  const line = formatJson({ from: 'a@b.c/r', to: 'd@b.c', type: 'chat', id: null, subject: null, body: 'two\nlines "quoted"', stamp: '2026-01-02T03:04:05.000Z', delayed: false, room: null, nick: null });
  assert.equal(line, '{"from":"a@b.c/r","to":"d@b.c","type":"chat","id":null,"subject":null,"body":"two\\nlines \\"quoted\\"","stamp":"2026-01-02T03:04:05.000Z","delayed":false,"room":null,"nick":null}\n');
  assert.equal(line.split('\n').length, 2);
});

test('text output: time, sender, body; further lines indented so they cannot pass for a new message', () => {
  const base = { from: 'alice@example.org/phone', to: 'bob@example.org', type: 'chat', id: 'x', subject: null, stamp: '2026-01-02T03:04:05.678Z', delayed: true, room: null, nick: null };
  assert.equal(formatText({ ...base, body: 'hi' }), '2026-01-02 03:04:05Z alice@example.org/phone: hi\n');
  assert.equal(
    formatText({ ...base, body: 'first\nsecond\r\nthird\rfourth' }),
    '2026-01-02 03:04:05Z alice@example.org/phone: first\n    second\n    third\n    fourth\n',
  );
  assert.equal(formatText({ ...base, type: 'error', body: 'bounced' }), '2026-01-02 03:04:05Z alice@example.org/phone [error]: bounced\n');
  const inRoom = { ...base, from: 'lab@conference.example.org/carol', type: 'groupchat', room: 'lab@conference.example.org', nick: 'carol' };
  assert.equal(formatText({ ...inRoom, body: 'hi all' }), '2026-01-02 03:04:05Z lab@conference.example.org/carol [groupchat]: hi all\n', 'room and nick visible, and the kind');
});

test('given a headline with a subject, when it is read and printed, then JSON has its type and subject and text marks both', () => {
  const stanza = xml('message', { from: 'monitor@example.org/probe', to: 'bob@example.org', type: 'headline' }, xml('subject', {}, 'Disk "full"\nnow'), xml('body', {}, '98 %'));
  const message = readMessage(stanza, arrival)!;
  assert.equal(message.type, 'headline', 'premise: the stanza is a headline');
  assert.equal(message.subject, 'Disk "full"\nnow');
  assert.match(formatJson(message), /"type":"headline","id":null,"subject":"Disk \\"full\\"\\nnow","body":"98 %"/);
  assert.equal(formatText(message), '2026-01-02 03:04:05Z monitor@example.org/probe [headline] "Disk \\"full\\"\\nnow": 98 %\n', 'the subject stays on its line');
});

test('given messages of each kind, when printed as text, then every kind but chat is marked, and no subject is shown as none', () => {
  const kinds = ['chat', 'normal', 'headline', 'groupchat', 'error'];
  const printed = kinds.map((type) => formatText(readMessage(xml('message', { from: 'a@b.c', type }, xml('body', {}, 'x')), arrival)!));
  assert.deepEqual(printed, [
    '2026-01-02 03:04:05Z a@b.c: x\n',
    '2026-01-02 03:04:05Z a@b.c [normal]: x\n',
    '2026-01-02 03:04:05Z a@b.c [headline]: x\n',
    '2026-01-02 03:04:05Z a@b.c [groupchat]: x\n',
    '2026-01-02 03:04:05Z a@b.c [error]: x\n',
  ]);
  assert.equal(readMessage(xml('message', { from: 'a@b.c' }, xml('body', {}, 'x')), arrival)!.subject, null);
});

/** A stream that holds each write until the test lets the kernel "take" it. */
function heldStream() {
  const writes: string[] = [];
  const held: Array<() => void> = [];
  const stream = new Writable({
    write: (chunk, _encoding, done) => {
      writes.push(String(chunk));
      held.push(done);
    },
  });
  return { stream, writes, take: () => held.shift()!() };
}

const said = (body: string) => readMessage(xml('message', { from: 'a@b.c', type: 'chat' }, xml('body', {}, body)), arrival)!;
const turn = () => new Promise((resolve) => setImmediate(resolve));

test('the lines printed in one turn go out in one write, and each is written only once the kernel has taken it', async () => {
  const out = heldStream();
  const printer = new LinePrinter(out.stream, 'json');
  let written = 0;
  const lines = ['one', 'two', 'three'].map((body) => printer.print(said(body)).then(() => written++));
  assert.equal(out.writes.length, 0, 'nothing written within the turn');
  await turn();
  assert.deepEqual(out.writes, [['one', 'two', 'three'].map((body) => formatJson(said(body))).join('')]);
  await turn();
  assert.equal(written, 0, 'not written while the stream holds the write');
  assert.ok(printer.congested, 'the output waits for its reader');
  out.take();
  await Promise.all(lines);
  assert.equal(written, 3);
  assert.equal(printer.congested, undefined, 'caught up');
});

test('a turn with more than 16 kB of lines writes them 16 kB at a time, each line resolving with its own write', async () => {
  const out = heldStream();
  const printer = new LinePrinter(out.stream, 'text');
  const lines = Array.from({ length: 200 }, (_, i) => printer.print(said(`${i} ${'x'.repeat(200)}`)));
  const writes = [...new Set(lines)];
  assert.ok(writes.length >= 3, `${writes.length} writes for 200 lines of 220 characters`);
  let settled = 0;
  for (const line of lines) void line.then(() => settled++);
  await turn();
  out.take();
  await turn();
  assert.ok(settled > 0 && settled < 200, `${settled}: the lines of the first write, and only those`);
  for (let i = 1; i < writes.length; i++) {
    await turn();
    out.take();
  }
  await Promise.all(lines);
  assert.ok(out.writes.every((text) => text.length < 17_000));
  assert.equal(out.writes.join('').split('\n').length - 1, 200, 'every line written, once');
});

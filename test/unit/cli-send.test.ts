// rsxcc send: which bodies can be sent, how piped input becomes a body, and how error replies
// to our messages become a non-zero exit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import xml from '@xmpp/xml';
import { DataError, RecipientError } from '../../xmpp/errors.ts';
import { parseJid } from '../../xmpp/jid.ts';
import { ExitCode, exitCodeOf } from '../../cli/errors.ts';
import { bodyFromInput, checkBody, checkText, DeliveryReport, sendMessages } from '../../cli/modes/send.ts';
import { login } from './fake-archive.ts';
import { fakeServer } from './fake-xmpp-server.ts';

test('ordinary text, tabs, newlines, emoji and astral characters pass unchanged', () => {
  const body = 'line 1\n\tline 2\r\nÆ → 😀 𝄞';
  assert.equal(checkBody(body), body);
});

test('an empty body is refused (exit 65): nothing to send is a mistake, not a success', () => {
  assert.throws(() => checkBody(''), (error: Error) => error instanceof DataError && /empty message body/.test(error.message));
});

test('characters XML 1.0 cannot carry are refused with their code point and offset', () => {
  for (const [body, code, offset] of [
    ['a\u0000b', '0000', 1],
    ['bell\u0007', '0007', 4],
    ['esc \u001b[31m', '001B', 4],
    ['\ufffe', 'FFFE', 0],
    ['lone \ud800 surrogate', 'D800', 5],
  ] as const) {
    assert.throws(
      () => checkBody(body),
      (error: Error) => {
        assert.ok(error instanceof DataError);
        assert.equal(error.message, `message body contains U+${code} at offset ${offset}, which XML cannot carry`);
        assert.equal(exitCodeOf(error), ExitCode.data);
        return true;
      },
    );
  }
});

test('piped input loses exactly one trailing line break, nothing else', () => {
  assert.equal(bodyFromInput('hello\n'), 'hello');
  assert.equal(bodyFromInput('hello\r\n'), 'hello');
  assert.equal(bodyFromInput('hello\n\n'), 'hello\n');
  assert.equal(bodyFromInput('  hello  '), '  hello  ');
  assert.equal(bodyFromInput('\n'), '');
});

test('an error reply to one of our messages is recorded with its recipient and condition', () => {
  const report = new DeliveryReport();
  report.sent.set('m1', 'nobody@example.org');
  report.onStanza(
    xml(
      'message',
      { type: 'error', id: 'm1', from: 'nobody@example.org' },
      xml('error', { type: 'cancel' }, xml('service-unavailable', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }), xml('text', {}, 'no such user')),
    ),
  );
  assert.equal(report.errors.length, 1);
  const [error] = report.errors;
  assert.ok(error instanceof RecipientError);
  assert.equal(error.message, 'nobody@example.org: service-unavailable (no such user)');
  assert.equal(exitCodeOf(error), ExitCode.unavailable);
});

test('errors for messages we did not send, and non-error messages, are ignored', () => {
  const report = new DeliveryReport();
  report.sent.set('m1', 'bob@example.org');
  report.onStanza(xml('message', { type: 'error', id: 'other' }, xml('error', {}, xml('item-not-found'))));
  report.onStanza(xml('message', { type: 'chat', id: 'm1' }, xml('body', {}, 'reply')));
  assert.deepEqual(report.errors, []);
});

test('given -k headline and -S, when the message is sent, then the server gets type headline with the subject before the body, confirmed by a ping', async () => {
  const server = await fakeServer();
  try {
    const report = new DeliveryReport();
    const session = await login(server, { onStanza: report.onStanza });
    await sendMessages(session, report, ['bob@example.org', 'carol@example.org'].map((j) => parseJid(j)), { body: 'disk full', kind: 'headline', subject: 'Alert' });
    await session.close();
    const messages = server.received.filter((text) => text.startsWith('<message'));
    assert.equal(messages.length, 2);
    for (const message of messages) assert.match(message, /^<message to="\w+@example.org" type="headline" id="[^"]+"><subject>Alert<\/subject><body>disk full<\/body><\/message>$/);
    const afterLast = server.received.slice(server.received.indexOf(messages[1]!) + 1);
    assert.match(afterLast[0]!, /<ping xmlns="urn:xmpp:ping"\/>/, 'the ping right after the messages is the confirmation');
  } finally {
    server.close();
  }
});

test('given no -k and no -S, when sent, then the message is chat with no subject element', async () => {
  const server = await fakeServer();
  try {
    const report = new DeliveryReport();
    const session = await login(server, { onStanza: report.onStanza });
    await sendMessages(session, report, [parseJid('bob@example.org')], { body: 'hi', kind: 'chat' });
    await session.close();
    assert.match(server.received.find((text) => text.startsWith('<message'))!, /^<message to="bob@example.org" type="chat" id="[^"]+"><body>hi<\/body><\/message>$/);
  } finally {
    server.close();
  }
});

test('a subject XML cannot carry is refused like a body (65), naming the subject', () => {
  assert.throws(() => checkText('bell\u0007', 'subject'), (error: Error) => error instanceof DataError && error.message === 'subject contains U+0007 at offset 4, which XML cannot carry');
  assert.equal(checkText('', 'subject'), '', 'an empty subject is a subject, not a mistake');
});

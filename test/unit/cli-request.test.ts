// rsxcc -q against the fake server: the reply is told apart from everything else by thread (or by
// sender, when it has none); what is not the reply is left with the server; "no reply" comes only
// after the server confirmed the request, and an undelivered request is not waited on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Element } from '@xmpp/xml';
import { ExitCode, exitCodeOf, NoReplyError } from '../../cli/errors.ts';
import { ask, Exchange } from '../../cli/modes/request.ts';
import { RecipientError } from '../../xmpp/errors.ts';
import { acks, message, withFakeServer } from './exchange-fixture.ts';

const bob = 'bob@example.org';

test("the reply is the message in the request's thread; other messages that reach the resource meanwhile are left with the server", async () => {
  const answer = (request: Element, reply: (text: string) => void) => {
    reply(message({ from: `${bob}/r`, type: 'chat', id: 'other-thread' }, 'about something else', 'another-thread'));
    reply(message({ from: 'carol@example.org/c', type: 'chat', id: 'carol' }, 'carol writes'));
    reply(message({ from: `${bob}/r`, type: 'chat', id: 'composing' }, undefined));
    reply(message({ from: `${bob}/r`, type: 'chat', id: 'reply' }, 'the answer', request.getChildText('thread')!));
  };
  await withFakeServer([], { onMessage: answer }, async ({ server, login }) => {
    const exchange = new Exchange(bob);
    const session = await login({ onStanza: exchange.onStanza });
    const reply = await ask(session, exchange, 'the question', 2000, () => {});
    await session.close();
    assert.equal(reply.body, 'the answer');
    assert.equal(reply.id, 'reply');
    const counted = server.connections[0]!.counted;
    const unrelated = counted.findIndex((text) => text.includes("id='other-thread'"));
    assert.ok(unrelated >= 0 && counted.some((text) => text.includes("id='carol'")), 'premise: both other messages reached this resource');
    assert.ok(acks(server).length > 0, 'premise: the session acknowledged what it handled before them');
    assert.ok(acks(server).every((h) => h <= unrelated), `acknowledged ${acks(server).join(', ')}: h > ${unrelated} would cover the message of another thread`);
  });
});

test("a reply without a thread is taken from the recipient's bare JID (any resource), and acknowledged", async () => {
  const answer = (_: Element, reply: (text: string) => void) => reply(message({ from: `${bob}/elsewhere`, type: 'normal', id: 'plain' }, 'plain answer'));
  await withFakeServer([], { onMessage: answer }, async ({ server, login }) => {
    const exchange = new Exchange(bob);
    const session = await login({ onStanza: exchange.onStanza });
    const reply = await ask(session, exchange, 'q', 2000, () => {});
    await session.close();
    assert.deepEqual([reply.body, reply.from, reply.type], ['plain answer', `${bob}/elsewhere`, 'normal']);
    const position = server.connections[0]!.counted.findIndex((text) => text.includes("id='plain'")) + 1;
    assert.ok(position > 0 && Math.max(...acks(server)) >= position, `the reply (stanza ${position}) is acknowledged: ${acks(server).join(', ')}`);
  });
});

test('no reply: NoReplyError (exit 75) after -W, and only once the server had confirmed the request', async () => {
  await withFakeServer([], {}, async ({ login }) => {
    const exchange = new Exchange(bob);
    const session = await login({ onStanza: exchange.onStanza });
    const progress: string[] = [];
    const started = Date.now();
    await assert.rejects(ask(session, exchange, 'anyone?', 300, (text) => progress.push(text)), (error: Error) => {
      assert.ok(error instanceof NoReplyError);
      assert.equal(error.message, `no reply from ${bob} within 0.3 s (the server confirmed the request)`);
      assert.equal(exitCodeOf(error), ExitCode.tempfail);
      return true;
    });
    assert.ok(Date.now() - started >= 300);
    assert.ok(progress.indexOf('server confirmed every message') < progress.findIndex((line) => line.startsWith('waiting up to 0.3 s')), progress.join('\n'));
    session.abort();
  });
});

test('an error reply to the request is "not delivered" (exit 69), at once, not a wait for a reply', async () => {
  const bounce = (request: Element, reply: (text: string) => void) =>
    reply(`<message from='${bob}' type='error' id='${request.attrs.id}'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>`);
  await withFakeServer([], { onMessage: bounce }, async ({ login }) => {
    const exchange = new Exchange(bob);
    const session = await login({ onStanza: exchange.onStanza });
    const started = Date.now();
    await assert.rejects(ask(session, exchange, 'q', 5000, () => {}), (error: Error) => {
      assert.ok(error instanceof RecipientError, String(error));
      assert.equal(error.message, `${bob}: service-unavailable`);
      assert.equal(exitCodeOf(error), ExitCode.unavailable);
      return true;
    });
    assert.ok(Date.now() - started < 2000, 'the 5 s reply wait never started');
    session.abort();
  });
});

test('two requests in flight from two sessions of the account each take the reply in their own thread, even when both replies reach both', async () => {
  const requests: Element[] = [];
  let deliver: (text: string) => void = () => {};
  const answerBoth = (request: Element) => {
    requests.push(request);
    if (requests.length < 2) return;
    for (const r of requests) deliver(message({ from: `${bob}/r`, type: 'chat' }, `answer to ${r.getChildText('body')}`, r.getChildText('thread')!));
  };
  await withFakeServer([], { onMessage: answerBoth }, async ({ server, login }) => {
    deliver = server.deliver;
    const run = async (resource: string) => {
      const exchange = new Exchange(bob);
      const session = await login({ jid: `alice@example.org/${resource}`, onStanza: exchange.onStanza });
      const reply = await ask(session, exchange, resource, 2000, () => {});
      await session.close();
      return { thread: exchange.thread, body: reply.body };
    };
    const [one, two] = await Promise.all([run('one'), run('two')]);
    assert.notEqual(one!.thread, two!.thread);
    assert.deepEqual([one!.body, two!.body], ['answer to one', 'answer to two']);
    assert.equal(server.connections.length, 2, 'premise: two sessions, each sent both replies');
  });
});

test('rsxcc -q prints the reply as other modes print messages, exits 0, and never sends presence', async () => {
  const answer = (request: Element, reply: (text: string) => void) => reply(message({ from: `${bob}/r`, type: 'chat', id: 'r1' }, 'pong', request.getChildText('thread')!));
  await withFakeServer([], { onMessage: answer }, async ({ server, rsxcc }) => {
    const result = await rsxcc(['-q', '-o', 'json', '-t', bob, '-m', 'ping?']);
    assert.equal(result.exitCode, 0, String(result.stderr));
    const printed = JSON.parse(String(result.stdout)) as Record<string, unknown>;
    assert.deepEqual([printed.from, printed.body, printed.id, printed.delayed], [`${bob}/r`, 'pong', 'r1', false]);
    assert.ok(server.received.some((text) => text.startsWith('<message')), 'premise: the request was sent');
    assert.ok(!server.received.some((text) => text.startsWith('<presence')), 'no presence: the account keeps its offline messages');
  });
});

test('rsxcc -q without a reply exits 75 and says the request was delivered', async () => {
  await withFakeServer([], {}, async ({ rsxcc }) => {
    const result = await rsxcc(['-q', '-r', '0.2', '-t', bob, '-m', 'anyone?']);
    assert.equal(result.exitCode, 75);
    assert.equal(result.stderr, `rsxcc: no reply from ${bob} within 0.2 s (the server confirmed the request)`);
    assert.equal(result.stdout, '');
  });
});

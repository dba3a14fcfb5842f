// rsxcc -n against the fake server: XEP-0013's header list counted, by sender, with nothing taken
// and no presence sent; a server that does not offer XEP-0013 is a 69, never a number.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExitCode, exitCodeOf } from '../../cli/errors.ts';
import { formatCount, peek, type OfflineCount } from '../../cli/modes/peek.ts';
import { NotSupportedError } from '../../xmpp/errors.ts';
import { ACCOUNT, discoInfo, login, NS_OFFLINE, offlineHeaders } from './fake-archive.ts';
import { fakeServer, iqRoute, type FakeServer, type IqHandler } from './fake-xmpp-server.ts';

async function peekAt(handlers: IqHandler[]): Promise<{ counted: Promise<OfflineCount>; server: FakeServer }> {
  const server = await fakeServer(['stored one'], { route: iqRoute(handlers) });
  const session = await login(server);
  const counted = peek(session);
  await counted.catch(() => {});
  await session.close();
  server.close();
  return { counted, server };
}

const senders = ['bob@example.org/phone', 'carol@example.org/x', 'bob@example.org/laptop', 'bob@example.org/phone'];

test('given 4 stored messages from 2 senders on several resources, when -n peeks, then it counts 4, 3 from bob and 1 from carol, and takes nothing', async () => {
  const { counted, server } = await peekAt([discoInfo(ACCOUNT, [NS_OFFLINE]), offlineHeaders(senders)]);
  assert.deepEqual(await counted, { count: 4, senders: [['bob@example.org', 3], ['carol@example.org', 1]] });
  assert.ok(!server.received.some((xml) => xml.startsWith('<presence')), 'no presence: the server flushes nothing');
  assert.ok(!server.received.some((xml) => xml.includes(`<offline xmlns="${NS_OFFLINE}"`)), 'no view, fetch or remove');
  assert.ok(server.received.some((xml) => xml.includes(`to="${ACCOUNT}"`) && xml.includes('disco#info')), "the account's bare JID was asked");
});

test('given a count, when printed, then text is the total then COUNT SENDER lines, and JSON one object', () => {
  const counted: OfflineCount = { count: 4, senders: [['bob@example.org', 3], ['carol@example.org', 1]] };
  assert.equal(formatCount(counted, 'text'), '4 offline messages\n3 bob@example.org\n1 carol@example.org\n');
  assert.equal(formatCount(counted, 'json'), '{"count":4,"senders":{"bob@example.org":3,"carol@example.org":1}}\n');
  assert.equal(formatCount({ count: 1, senders: [['bob@example.org', 1]] }, 'text'), '1 offline message\n1 bob@example.org\n');
  assert.equal(formatCount({ count: 0, senders: [] }, 'json'), '{"count":0,"senders":{}}\n');
});

test('given a server whose disco#info lacks XEP-0013 (Prosody 0.12), when -n peeks, then it fails with NotSupportedError (69) and lists nothing', async () => {
  const { counted, server } = await peekAt([discoInfo(ACCOUNT, ['urn:xmpp:mam:2']), offlineHeaders(senders)]);
  await assert.rejects(counted, (error: Error) => {
    assert.ok(error instanceof NotSupportedError, String(error));
    assert.match(error.message, /does not offer XEP-0013 .*cannot be counted without taking them/);
    assert.equal(exitCodeOf(error), ExitCode.unavailable);
    return true;
  });
  assert.ok(!server.received.some((xml) => xml.includes('disco#items')), 'no header list asked for');
});

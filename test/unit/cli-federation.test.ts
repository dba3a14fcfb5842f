// rsxcc send to a user on another domain: exit 0 only once that domain answered a ping sent
// behind the message, so an error it produced for the message has arrived; our server's own
// failures to reach it are 69 (remote-server-not-found) or 75 (remote-server-timeout, silence).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { remoteDomains } from '../../cli/modes/send.ts';
import { parseJid } from '../../xmpp/jid.ts';
import type { FakeServer } from './fake-xmpp-server.ts';
import { fakeDomain, routes } from './fake-muc.ts';
import { sendWith } from './rsxcc-run.ts';

/** What alice's client sent, as "name to": the order the server handled it in. */
const sent = (server: FakeServer) =>
  server.received.filter((xml) => /^<(message|iq)/.test(xml)).map((xml) => `${/^<(\w+)/.exec(xml)![1]} ${/to="([^"]*)"/.exec(xml)?.[1] ?? '(own server)'}`);

test('the domains to confirm are the recipients\' other than the account\'s, each once', () => {
  const recipients = ['bob@example.org', 'carol@remote.example/phone', 'dave@remote.example', 'eve@far.example'].map((jid) => parseJid(jid));
  assert.deepEqual(remoteDomains('alice@example.org/res', recipients), ['remote.example', 'far.example']);
});

test('given a remote domain that bounces the message 150 ms after our server confirmed, when alice sends, then the ping behind it waits for the bounce and she exits 69', async () => {
  const remote = fakeDomain('remote.example', { ping: 'result', bounce: 'service-unavailable', delayMs: 150 });
  const started = Date.now();
  await sendWith(remote, ['-t', 'bob@remote.example', '-m', 'hi'], ({ status, error, server }) => {
    assert.equal(status, 69, String(error));
    assert.equal(error!.message, 'bob@remote.example: service-unavailable');
    assert.deepEqual(sent(server).slice(-3), ['message bob@remote.example', 'iq example.org', 'iq remote.example'], 'the pings follow the message');
    assert.ok(Date.now() - started >= 150, 'premise: our own server answered long before the bounce');
  });
});

test('given a remote domain that answers its ping, when alice sends there and to a local user, then she exits 0 after both servers answered', async () => {
  await sendWith(fakeDomain('remote.example', { ping: 'result', delayMs: 50 }), ['-t', 'bob@remote.example', '-t', 'carol@example.org', '-m', 'hi'], ({ status, error, progress }) => {
    assert.equal(status, 0, String(error));
    assert.ok(progress.includes('sent 2 message(s); waiting for the server, remote.example to confirm'), progress.join('\n'));
  });
});

test('given only local recipients, when alice sends, then no domain but her own is pinged', async () => {
  await sendWith(fakeDomain('remote.example', { ping: 'never' }), ['-t', 'carol@example.org', '-m', 'hi'], ({ status, server }) => {
    assert.equal(status, 0);
    assert.deepEqual(sent(server).slice(-2), ['message carol@example.org', 'iq example.org']);
  });
});

test('given a remote server without XEP-0199 (service-unavailable), when alice sends, then its error reply still counts as the round trip: exit 0', async () => {
  await sendWith(fakeDomain('remote.example', { ping: 'service-unavailable' }), ['-t', 'bob@remote.example', '-m', 'hi'], ({ status, error }) => assert.equal(status, 0, String(error)));
});

test('given a domain our server cannot find (remote-server-not-found), when alice sends there, then 69 naming the domain', async () => {
  await sendWith(fakeDomain('nowhere.example', { ping: 'remote-server-not-found' }), ['-t', 'bob@nowhere.example', '-m', 'hi'], ({ status, error }) => {
    assert.equal(status, 69);
    assert.equal(error!.message, 'nowhere.example: remote-server-not-found');
  });
});

test('given a remote domain that does not answer in time (silence, or remote-server-timeout from our server), when alice sends there, then 75: the message may still be queued', async () => {
  for (const ping of ['never', 'remote-server-timeout'] as const) {
    await sendWith(fakeDomain('slow.example', { ping }), ['-t', 'bob@slow.example', '-m', 'hi', '-T', '0.5'], ({ status, error }) => {
      assert.equal(status, 75, `${ping}: ${error}`);
      assert.equal(error!.message, 'slow.example did not confirm in time: what we sent it may still be queued on our server');
    });
  }
});

test('given two remote domains that each take 300 ms, when alice sends to both, then they are pinged side by side and one unconfirmed domain fails the run', async () => {
  const both = routes(fakeDomain('one.example', { ping: 'result', delayMs: 300 }), fakeDomain('two.example', { ping: 'remote-server-not-found', delayMs: 300 }));
  const started = Date.now();
  await sendWith(both, ['-t', 'bob@one.example', '-t', 'bob@two.example', '-m', 'hi'], ({ status, error }) => {
    assert.equal(status, 69, String(error));
    assert.equal(error!.message, 'two.example: remote-server-not-found');
    assert.ok(Date.now() - started < 600 + 400, `took ${Date.now() - started} ms: the pings waited for each other`);
  });
});

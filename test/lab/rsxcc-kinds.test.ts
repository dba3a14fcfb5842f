// Message kinds on both servers (issue 14): a headline with a subject arrives as a headline to an
// online user, a normal message with a subject is stored for an offline one and shown as such, and
// a headline to an offline user exits 0 (the server handled it) but is stored nowhere (RFC 6121).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  EJABBERD, PROSODY, drainAll, listener, login, proofFixture, send, storedOffline, unread, waitFor,
} from './proof-lib.ts';

const suite = proofFixture();

for (const domain of [EJABBERD, PROSODY]) {
  describe(`message kinds on ${domain}`, () => {
    test('given bob online, when alice sends a headline with a subject, then bob prints it with type headline and the subject', async () => {
      const [alice, bob] = await suite.accounts.make(domain, 'ka', 'kb');
      const server = suite.lab.entry[domain]!;
      const follow = listener([...login(suite.lab, bob, server), '-v']);
      try {
        await waitFor('bob online', () => follow.stderr.includes('waiting for messages'), 15_000, 100);
        const body = `headline-${Date.now()}`;
        const sent = await send(suite.lab, alice, bob, body, server, ['-k', 'headline', '-S', 'Disk full']);
        assert.equal(sent.exitCode, 0, sent.stderr);
        await waitFor('the headline printed', () => follow.bodies().includes(body), 10_000, 100);
      } finally {
        await follow.stop();
      }
      const [message] = follow.messages();
      assert.equal(message?.type, 'headline');
      assert.equal(message?.subject, 'Disk full');
      assert.equal(message?.from.split('/')[0], alice.jid);
    });

    test('given bob offline, when alice sends a normal message with a subject, then it is stored and -s shows it as normal, with its subject', async () => {
      const [alice, bob] = await suite.accounts.make(domain, 'kc', 'kd');
      const server = suite.lab.entry[domain]!;
      const body = `normal-${Date.now()}`;
      const sent = await send(suite.lab, alice, bob, body, server, ['-k', 'normal', '-S', 'Weekly report']);
      assert.equal(sent.exitCode, 0, sent.stderr);
      assert.equal(await storedOffline(suite.lab, bob), 1, 'premise: stored for the offline user');
      const shown = await unread(suite.lab, bob, server);
      assert.equal(shown.run.exitCode, 0, shown.run.stderr);
      assert.deepEqual(shown.messages.map((m) => [m.type, m.subject, m.body]), [['normal', 'Weekly report', body]]);
    });

    test('given bob offline, when alice sends a headline, then the send exits 0 and the server stores nothing', async () => {
      const [alice, bob] = await suite.accounts.make(domain, 'ke', 'kf');
      const server = suite.lab.entry[domain]!;
      assert.equal(await storedOffline(suite.lab, bob), 0, 'premise: nothing waiting');
      const sent = await send(suite.lab, alice, bob, `dropped-${Date.now()}`, server, ['-k', 'headline', '-v']);
      assert.equal(sent.exitCode, 0, sent.stderr);
      assert.match(sent.stderr, /a headline is never stored/);
      assert.equal(await storedOffline(suite.lab, bob), 0, 'RFC 6121 8.5: no offline storage for a headline');
      assert.deepEqual(await drainAll(suite.lab, bob, server), []);
    });
  });
}

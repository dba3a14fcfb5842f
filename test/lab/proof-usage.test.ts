// Proof scenario 1: the original lab's usage, as a new user types it, on both servers: send with
// -x and without it (the server found from the JID's domain by SRV, on the lab's `client` host whose
// resolver is the lab DNS), show unread, continuous mode.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Accounts, EJABBERD, PROSODY, fmt, listener as follow, login, proofFixture, rsxcc, rsxccOnClient, tally, unread, waitFor,
  type Account, type ProofLab,
} from './proof-lib.ts';

const fixture = proofFixture();

for (const domain of [EJABBERD, PROSODY]) {
  describe(`on ${domain}`, () => {
    let alice: Account;
    let bob: Account;
    before(async () => {
      [alice, bob] = await fixture.accounts.make(domain, 'ua', 'ub');
    });

    test('given bob offline, when alice sends with -x, by SRV from the client host, and from stdin, then one -s shows each message once and a second -s shows nothing', async (t) => {
      const { lab, accounts } = fixture;
      const tag = `usage-${Date.now()}`;
      const bodies = [`${tag} via -x`, `${tag} via SRV`, `${tag} from stdin\nsecond line`];
      const runs = [
        await rsxcc([...login(lab, alice, lab.entry[domain]), '-t', bob.jid, '-m', bodies[0]!]),
        // No -x: the host comes from the JID's domain (SRV _xmpp-client._tcp, then A), as on a real network.
        await rsxccOnClient([...login(lab, alice), '-t', bob.jid, '-m', bodies[1]!]),
        // A cron job pipes the body; the pipe's final newline belongs to the line, not the message.
        await rsxcc([...login(lab, alice, lab.entry[domain]), '-t', bob.jid], { input: `${bodies[2]}\n` }),
      ];
      for (const r of runs) assert.equal(r.exitCode, 0, r.stderr);
      const confirmed = runs.filter((r) => r.exitCode === 0).length;

      // Text output is for people: time, sender, body; a second body line is indented.
      const text = await rsxcc([...login(lab, bob, lab.entry[domain]), '-s']);
      assert.equal(text.exitCode, 0, text.stderr);
      const lines = text.stdout.split('\n').filter(Boolean);
      assert.equal(lines.length, 4, text.stdout);
      for (const line of lines.filter((l) => !l.startsWith('    '))) {
        assert.match(line, new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ ${alice.jid}(/\\S*)?: ${tag}`));
      }
      assert.ok(lines.includes('    second line'), text.stdout);
      const printed = lines.filter((l) => !l.startsWith('    ')).map((l) => l.replace(/^.*?: /, ''));
      const counts = tally(bodies.map((b) => b.split('\n')[0]!), printed);
      const again = await unread(lab, bob, lab.entry[domain]);
      t.diagnostic(fmt({ sent: bodies.length, confirmed, delivered: counts.delivered, lost: counts.lost.length, duplicates: counts.duplicates, second_run: again.messages.length }));
      assert.deepEqual(counts.lost, []);
      assert.equal(counts.duplicates, 0);
      assert.equal(again.run.exitCode, 0, again.run.stderr);
      assert.deepEqual(again.messages, [], 'a second run shows nothing new');
    });

    test('given bob in continuous mode, when alice sends, then each message is printed as JSON once, and SIGTERM ends it with exit 0', async (t) => {
      const { lab, accounts } = fixture;
      const listener = follow([...login(lab, bob, lab.entry[domain]), '-v']);
      try {
        await waitFor('listener online', () => listener.stderr.includes('waiting for messages'), 15_000, 100);
        const bodies = Array.from({ length: 3 }, (_, i) => `live-${Date.now()}-${i}`);
        for (const body of bodies) {
          const r = await rsxcc([...login(lab, alice, lab.entry[domain]), '-t', bob.jid, '-m', body]);
          assert.equal(r.exitCode, 0, r.stderr);
        }
        await waitFor('every live message printed', () => tally(bodies, listener.bodies()).lost.length === 0, 10_000, 100);
        const exit = await listener.stop();
        const counts = tally(bodies, listener.bodies());
        t.diagnostic(fmt({ sent: bodies.length, delivered: counts.delivered, lost: counts.lost.length, duplicates: counts.duplicates, exit: String(exit.exitCode) }));
        assert.equal(exit.exitCode, 0, exit.stderr);
        assert.equal(counts.duplicates, 0);
        for (const m of listener.messages()) {
          assert.equal(m.to.split('/')[0], bob.jid);
          assert.equal(m.from.split('/')[0], alice.jid);
          assert.equal(m.type, 'chat');
          assert.equal(m.delayed, false, 'a live message carries no delay stamp');
          assert.ok(!Number.isNaN(Date.parse(m.stamp)) && m.stamp.endsWith('Z'));
        }
      } finally {
        await listener.stop();
      }
    });
  });
}

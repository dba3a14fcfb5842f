// Proof scenario 11: a killed drain while the user has another session. When `rsxcc -s` dies with
// messages unacknowledged, each server must give them to the user's other session or store them
// again, whichever sessions the user has; neither may bounce them to the sender as errors (upstream
// Prosody 0.12 and ejabberd with resend_on_timeout: if_offline both do, as soon as a second session
// exists). bob's second session here is bound but sends no presence, as an `rsxcc -t` send run or a
// request/reply agent would be: not available, so what comes back is stored. alice's session, which
// sent the backlog, stays open to catch any bounce. Counts come from the database.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Element } from '@xmpp/xml';
import {
  Accounts, Background, EJABBERD, PROSODY, drainAll, envCount, fmt, login, openAs, proofFixture, settledOffline, storedBodies, tally,
  waitFor, type ProofLab,
} from './proof-lib.ts';

const UNREAD = envCount('PROOF_UNREAD', 2000);

const fixture = proofFixture();

for (const domain of [EJABBERD, PROSODY]) {
  test(`given ${UNREAD} unread on ${domain} and a second session of bob, when bob's rsxcc -s is killed mid-drain, then nothing bounces to alice and every message is printed or stored`, { timeout: 180_000 }, async (t) => {
    const { lab, accounts } = fixture;
    const { default: xml } = await import('@xmpp/xml');
    const [alice, bob] = await accounts.make(domain, 'ua', 'ub');
    const server = lab.entry[domain]!;
    const tag = `unacked-${Date.now()}`;
    const bodies = Array.from({ length: UNREAD }, (_, i) => `${tag}-${i}`);
    const bounces: string[] = [];
    const onStanza = (s: Element) => {
      if (s.name === 'message' && s.attrs.type === 'error') bounces.push(s.getChildText('body') ?? s.attrs.id ?? '?');
    };
    const sender = await openAs(lab, alice, server, onStanza);
    const other = await openAs(lab, bob, server);
    try {
      for (const [i, body] of bodies.entries()) {
        await sender.send(xml('message', { to: bob.jid, type: 'chat', id: `u-${i}` }, xml('body', {}, body)));
        if (i % 200 === 199) await sender.ping();
      }
      await sender.ping();
      const run = new Background([...login(lab, bob, server), '-T', '20', '-s']);
      await waitFor('the drain is printing', () => run.exitCode !== null || run.bodies().length >= UNREAD / 10, 30_000, 5);
      await run.kill9();
      const printed = run.bodies();
      // Premise: bob's other session was still there when the drain died (a ping round trip on it).
      await other.ping();
      await settledOffline(lab, bob);
      const stored = await storedBodies(lab, bob);
      // Bounces come back through alice's open session: a ping after the settle has them all.
      await sender.ping();
      const rest = await drainAll(lab, bob, server);
      const counts = tally(bodies, [...printed, ...rest.map((m) => m.body)]);
      const kept = new Set([...printed, ...stored]);
      t.diagnostic(fmt({ unread: UNREAD, printed_before_kill: printed.length, stored_after_kill: stored.length, bounced: bounces.length,
        lost: counts.lost.length, duplicates: counts.duplicates }));
      assert.ok(printed.length > 0 && printed.length < UNREAD, `premise: the kill landed mid-print (${printed.length} printed)`);
      assert.deepEqual(bounces.slice(0, 3), [], `${bounces.length} messages bounced to alice`);
      assert.deepEqual(bodies.filter((b) => !kept.has(b)).slice(0, 3), [], 'every message printed or stored after the kill');
      assert.deepEqual(counts.lost, []);
    } finally {
      await Promise.all([sender.close(), other.close()]);
    }
  });
}

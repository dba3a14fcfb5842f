// rsxcc -n on both servers (issue 14): on ejabberd (XEP-0013) the count and the senders are what
// the database holds and what the next -s shows, and peeking takes nothing; on Prosody 0.12, which
// does not offer XEP-0013, it says so (69) and leaves every message stored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EJABBERD, PROSODY, fillUnread, fmt, login, proofFixture, rsxcc, storedOffline, unread } from './proof-lib.ts';

const suite = proofFixture();

test(`given 5 messages from alice and 3 from carol stored on ${EJABBERD}, when bob peeks, then it counts 8 by sender, takes none, and the next -s shows exactly those`, async (t) => {
  const [alice, bob, carol] = await suite.accounts.make(EJABBERD, 'na', 'nb', 'nc');
  const server = suite.lab.entry[EJABBERD]!;
  const tag = `peek-${Date.now()}`;
  await fillUnread(suite.lab, alice, bob, Array.from({ length: 5 }, (_, i) => `${tag}-a${i}`), server);
  await fillUnread(suite.lab, carol, bob, Array.from({ length: 3 }, (_, i) => `${tag}-c${i}`), server);
  const stored = await storedOffline(suite.lab, bob);
  assert.equal(stored, 8, 'premise: the database holds the 8');

  const json = await rsxcc([...login(suite.lab, bob, server), '-n', '-o', 'json']);
  assert.equal(json.exitCode, 0, json.stderr);
  const peeked = JSON.parse(json.stdout) as { count: number; senders: Record<string, number> };
  const text = await rsxcc([...login(suite.lab, bob, server), '-n']);
  assert.equal(text.exitCode, 0, text.stderr);
  const storedAfter = await storedOffline(suite.lab, bob);
  const shown = await unread(suite.lab, bob, server);
  assert.equal(shown.run.exitCode, 0, shown.run.stderr);
  const bySender: Record<string, number> = {};
  for (const message of shown.messages) bySender[message.from.split('/')[0]!] = (bySender[message.from.split('/')[0]!] ?? 0) + 1;
  t.diagnostic(fmt({ stored, peeked: peeked.count, stored_after_peeks: storedAfter, shown_by_s: shown.messages.length }));

  assert.deepEqual(peeked, { count: 8, senders: { [alice.jid]: 5, [carol.jid]: 3 } });
  assert.equal(text.stdout, `8 offline messages\n5 ${alice.jid}\n3 ${carol.jid}\n`);
  assert.equal(storedAfter, stored, 'two peeks took nothing');
  assert.equal(shown.messages.length, peeked.count, 'the next -s shows as many as the peek counted');
  assert.deepEqual(bySender, peeked.senders);
});

test(`given messages stored on ${PROSODY}, which offers no XEP-0013, when bob peeks, then one line says it cannot (69), nothing is printed and nothing taken`, async () => {
  const [alice, bob] = await suite.accounts.make(PROSODY, 'na', 'nb');
  const server = suite.lab.entry[PROSODY]!;
  await fillUnread(suite.lab, alice, bob, [`peek-${Date.now()}-1`, `peek-${Date.now()}-2`], server);
  assert.equal(await storedOffline(suite.lab, bob), 2, 'premise: two stored');
  const peeked = await rsxcc([...login(suite.lab, bob, server), '-n']);
  assert.equal(peeked.exitCode, 69);
  assert.equal(peeked.stdout, '');
  assert.match(peeked.stderr, /^rsxcc: \S+: the server does not offer XEP-0013 \(http:\/\/jabber\.org\/protocol\/offline\): offline messages cannot be counted without taking them\n$/);
  assert.equal(await storedOffline(suite.lab, bob), 2, 'nothing taken');
});

// Proof scenario 2: the ejabberd cluster is one server to its users. A message sent to node 1 is
// unread on node 2; offline messages stored before node 1 is powered off are all readable with it
// down; node 1 comes back (`chatlab start`) and rejoins by itself. Counts: PROOF_OFFLINE (CI 50).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Accounts, EJABBERD, clusterWhole, drainAll, envCount, fault, fillUnread, fmt, proofFixture, send, tally, unread, waitFor,
  type ProofLab,
} from './proof-lib.ts';
import { labStatus } from './fixture.ts';

const OFFLINE = envCount('PROOF_OFFLINE', 50);

const fixture = proofFixture({ restore: true });

test('given a message sent through node 1, when bob reads through node 2, then it is his unread there, once', async (t) => {
  const { lab, accounts } = fixture;
  const [alice, bob] = await accounts.make(EJABBERD, 'xa', 'xb');
  const [node1, node2] = lab.nodes;
  const body = `cross-${Date.now()}`;
  const sent = await send(lab, alice, bob, body, node1!.address);
  assert.equal(sent.exitCode, 0, sent.stderr);
  const read = await unread(lab, bob, node2!.address);
  const again = await unread(lab, bob, node1!.address);
  t.diagnostic(fmt({ sent: 1, confirmed: 1, read_on_node2: read.messages.length, second_read_on_node1: again.messages.length }));
  assert.equal(read.run.exitCode, 0, read.run.stderr);
  assert.deepEqual(read.messages.map((m) => m.body), [body]);
  assert.deepEqual(again.messages, [], 'removed cluster-wide once read');
});

test(`given ${OFFLINE} offline messages stored through node 1, when node 1 is powered off, then all are readable through HAProxy; started again, node 1 rejoins and serves`, { timeout: 180_000 }, async (t) => {
  const { lab, accounts } = fixture;
  const [alice, bob] = await accounts.make(EJABBERD, 'ya', 'yb');
  const [node1, node2] = lab.nodes;
  const bodies = Array.from({ length: OFFLINE }, (_, i) => `offline-${Date.now()}-${i}`);
  await fillUnread(lab, alice, bob, bodies, node1!.address);

  await fault('kill', node1!.host);
  let printed: string[] = [];
  try {
    // HAProxy needs a few failed checks to take node 1 out; until then a login may land on the dead
    // node and fail (75/69), which is why the read is retried, bounded.
    await waitFor('HAProxy sends logins to the surviving node', async () => (await labStatus()).haproxy?.find((b) => b.server.endsWith(node1!.host))?.status !== 'UP', 30_000, 500);
    printed = (await drainAll(lab, bob, lab.entry[EJABBERD])).map((m) => m.body);
  } finally {
    await fault('start', node1!.host);
  }
  const rejoinMs = await waitFor('node 1 back in one cluster', clusterWhole, 60_000, 500);
  const counts = tally(bodies, printed);

  // Served again: a message through the restarted node 1 is read through node 2.
  const body = `after-rejoin-${Date.now()}`;
  const sent = await send(lab, alice, bob, body, node1!.address);
  const read = await unread(lab, bob, node2!.address);
  t.diagnostic(fmt({ stored: OFFLINE, delivered_with_node1_down: counts.delivered, lost: counts.lost.length, duplicates: counts.duplicates, rejoin_ms_after_start: rejoinMs, after_rejoin_delivered: read.messages.length }));
  assert.deepEqual(counts.lost, [], 'every stored message readable with node 1 down');
  assert.equal(counts.duplicates, 0);
  assert.equal(sent.exitCode, 0, sent.stderr);
  assert.deepEqual(read.messages.map((m) => m.body), [body]);
});

// Proof scenario 6: a partition (`chatlab cut ejabberd2`, then `heal`) measured, not hidden: how long
// until each side notices, what happens to a session on the cut node, where offline messages stored
// before and during the cut live (each node's own Mnesia copy, read without consuming), and that
// `chatlab recover` restores one consistent cluster in which every message stored through the
// majority side (the seed node, ejabberd1) is readable. Counts: PROOF_PARTITION_MSGS (CI 20).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Accounts, EJABBERD, clusterWhole, drainAll, envCount, fault, fillUnread, fmt, listener, login, offlineCountOnNode, proofSuite,
  tally, waitFor, type ProofLab,
} from './proof-lib.ts';
import { chatlab, labStatus } from './fixture.ts';

const MSGS = envCount('PROOF_PARTITION_MSGS', 20);

let lab: ProofLab;
let accounts: Accounts;
proofSuite((l, a) => {
  lab = l;
  accounts = a;
}, { restore: true });

test('given stored messages and a session on ejabberd2, when ejabberd2 is cut off and healed, then after `chatlab recover` one cluster holds every message stored through ejabberd1', { timeout: 300_000 }, async (t) => {
  const [alice, bob, carol] = await accounts.make(EJABBERD, 'qa', 'qb', 'qc');
  const [node1, node2] = lab.nodes;
  const stamp = Date.now();
  const before = Array.from({ length: MSGS }, (_, i) => `part-before-${stamp}-${i}`);
  const during = Array.from({ length: MSGS }, (_, i) => `part-during-${stamp}-${i}`);
  await fillUnread(lab, alice, bob, before, node1!.address);
  // carol follows on ejabberd2 directly: the session that the cut strands.
  const follower = listener([...login(lab, carol, node2!.address), '-v']);
  const figures: Record<string, number | string> = { stored_before: MSGS };
  try {
    await waitFor('carol online on ejabberd2', () => follower.stderr.includes('waiting for messages'), 15_000, 100);
    figures.bob_offline_on_node1_before = await offlineCountOnNode(node1!.host, bob);
    figures.bob_offline_on_node2_before = await offlineCountOnNode(node2!.host, bob);

    const cutAt = Date.now();
    await fault('cut', node2!.host);
    try {
      figures.node1_alone_after_ms = await waitFor('ejabberd1 sees itself alone', async () => (await labStatus()).ejabberd[0]!.cluster?.length === 1, 40_000, 500);
      figures.haproxy_down_after_ms = Date.now() - cutAt;
      await waitFor('HAProxy marks ejabberd2 down', async () => (await labStatus()).haproxy?.find((b) => b.server.endsWith(node2!.host))?.status !== 'UP', 30_000, 500);
      figures.haproxy_down_after_ms = Date.now() - cutAt;
      // Messages stored during the cut, through HAProxy: only ejabberd1 is there to take them.
      await fillUnread(lab, alice, bob, during, lab.entry[EJABBERD]!);
      figures.stored_during = MSGS;
      // A silent cut is only noticed by rsxcc's keep-alive ping (every 30 s, bounded by -T 10 s).
      await waitFor('carol notices the cut', () => /connection lost/.test(follower.stderr), 45_000, 200).catch(() => {});
      figures.carol_noticed_after_ms = Date.now() - cutAt;
      figures.carol_noticed_loss = String(/connection lost/.test(follower.stderr));
    } finally {
      await fault('heal', node2!.host);
    }
    // After heal Mnesia does not merge by itself: each node's own copy shows what it has.
    figures.bob_offline_on_node1_after_heal = await offlineCountOnNode(node1!.host, bob);
    figures.bob_offline_on_node2_after_heal = await offlineCountOnNode(node2!.host, bob);
    figures.cluster_merged_by_itself = String(await clusterWhole());

    const r = await chatlab('recover');
    assert.equal(r.exitCode, 0, r.stderr);
    figures.recover_to_whole_ms = await waitFor('one cluster again', clusterWhole, 60_000, 500);
    figures.bob_offline_on_node1_after_recover = await offlineCountOnNode(node1!.host, bob);
    figures.bob_offline_on_node2_after_recover = await offlineCountOnNode(node2!.host, bob);
    await waitFor('carol reconnected', () => /reconnected/.test(follower.stderr), 60_000, 200).catch(() => {});
    figures.carol_reconnected = String(/reconnected/.test(follower.stderr));
  } finally {
    await follower.stop();
  }
  const printed = (await drainAll(lab, bob, lab.entry[EJABBERD])).map((m) => m.body);
  const counts = tally([...before, ...during], printed);
  t.diagnostic(fmt({ ...figures, delivered: counts.delivered, lost: counts.lost.length, duplicates: counts.duplicates }));

  assert.equal(figures.bob_offline_on_node1_after_recover, 2 * MSGS, 'the seed node holds both batches');
  assert.equal(figures.bob_offline_on_node2_after_recover, 2 * MSGS, 'the restarted node reloaded the seed\'s tables: consistent');
  assert.deepEqual(counts.lost, [], 'every message stored through the majority side is readable');
  assert.equal(counts.duplicates, 0);
  assert.equal(figures.carol_noticed_loss, 'true', 'the stranded session notices the cut');
});

// Proof scenario 6: partitions, measured. With ejabberd on SQL (the lab's default), offline messages
// live in the db host's database, not in each node's Mnesia copy, so a split cluster cannot lose
// them: the first test pulls ejabberd2's cable (the stranded side reaches neither clients nor the
// database, so every write goes through ejabberd1); the second splits only the nodes' Erlang
// traffic, so both sides take writes, and every one of them is readable after `chatlab recover`.
// Counts come from the database, not from rsxcc. Size: PROOF_PARTITION_MSGS (CI 20) per batch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Accounts, EJABBERD, clusterWhole, drainAll, envCount, fault, fillUnread, fmt, listener, login, proofFixture, storedOffline,
  tally, waitFor, type ProofLab,
} from './proof-lib.ts';
import { chatlab, labStatus } from './fixture.ts';

const MSGS = envCount('PROOF_PARTITION_MSGS', 20);

const fixture = proofFixture({ restore: true });

const alone = async (host: string) => (await labStatus()).ejabberd.find((n) => n.host === host)?.cluster?.length === 1;

async function recoverWhole(figures: Record<string, number | string>): Promise<void> {
  figures.cluster_merged_by_itself = String(await clusterWhole());
  const r = await chatlab('recover');
  assert.equal(r.exitCode, 0, r.stderr);
  figures.recover_to_whole_ms = await waitFor('one cluster again', clusterWhole, 60_000, 500);
}

test('given stored messages and a session on ejabberd2, when ejabberd2 is cut off and healed, then every message stored through ejabberd1 is in the database and readable after recover', { timeout: 300_000 }, async (t) => {
  const { lab, accounts } = fixture;
  const [alice, bob, carol] = await accounts.make(EJABBERD, 'qa', 'qb', 'qc');
  const [node1, node2] = lab.nodes;
  const stamp = Date.now();
  const before = Array.from({ length: MSGS }, (_, i) => `part-before-${stamp}-${i}`);
  const during = Array.from({ length: MSGS }, (_, i) => `part-during-${stamp}-${i}`);
  await fillUnread(lab, alice, bob, before, node1!.address);
  // carol follows on ejabberd2 directly: the session that the cut strands.
  const follower = listener([...login(lab, carol, node2!.address), '-v']);
  const figures: Record<string, number | string> = { stored_before: await storedOffline(lab, bob) };
  try {
    await waitFor('carol online on ejabberd2', () => follower.stderr.includes('waiting for messages'), 15_000, 100);
    const cutAt = Date.now();
    await fault('cut', node2!.host);
    try {
      figures.node1_alone_after_ms = await waitFor('ejabberd1 sees itself alone', () => alone(node1!.host), 40_000, 500);
      await waitFor('HAProxy marks ejabberd2 down', async () => (await labStatus()).haproxy?.find((b) => b.server.endsWith(node2!.host))?.status !== 'UP', 30_000, 500);
      figures.haproxy_down_after_ms = Date.now() - cutAt;
      // Stored during the cut, through HAProxy: only ejabberd1 is there to take them.
      await fillUnread(lab, alice, bob, during, lab.entry[EJABBERD]!);
      figures.stored_during_cut = (await storedOffline(lab, bob)) - Number(figures.stored_before);
      // A silent cut is only noticed by rsxcc's keep-alive ping (every 30 s, bounded by -T 10 s).
      await waitFor('carol notices the cut', () => /connection lost/.test(follower.stderr), 45_000, 200);
      figures.carol_noticed_after_ms = Date.now() - cutAt;
    } finally {
      await fault('heal', node2!.host);
    }
    figures.stored_after_heal = await storedOffline(lab, bob);
    await recoverWhole(figures);
    await waitFor('carol reconnected', () => /reconnected/.test(follower.stderr), 60_000, 200);
  } finally {
    await follower.stop();
  }
  const printed = (await drainAll(lab, bob, lab.entry[EJABBERD])).map((m) => m.body);
  const counts = tally([...before, ...during], printed);
  t.diagnostic(fmt({ ...figures, delivered: counts.delivered, lost: counts.lost.length, duplicates: counts.duplicates }));

  assert.equal(figures.stored_before, MSGS);
  assert.equal(figures.stored_after_heal, 2 * MSGS, 'the database holds both batches before any recovery');
  assert.deepEqual(counts.lost, [], 'every message stored through the majority side is readable');
  assert.equal(counts.duplicates, 0);
  assert.equal(await storedOffline(lab, bob), 0, 'the drain emptied the store');
});

/** Drops the nodes' Erlang traffic on `host` (both directions), leaving clients, the database and
 *  the node's own ejabberdctl (over loopback). */
const splitDistribution = (host: string) => {
  const port = fixture.lab.status.ports.erlangDist;
  const rule = (dir: string) => `nft insert rule inet chatlab input iifname != lo tcp ${dir} ${port} drop`;
  return chatlab('exec', host, '--', 'sh', '-ec', `${rule('dport')}; ${rule('sport')}`);
};
/** The host's own firewall again, as provisioning loaded it (the table is replaced whole). */
const restoreFirewall = (host: string) => chatlab('exec', host, '--', 'nft', '-f', '/etc/ejabberd/chatlab.nft');

test('given the nodes split from each other but not from clients, when alice writes through each side, then after recover every confirmed message is readable', { timeout: 300_000 }, async (t) => {
  const { lab, accounts } = fixture;
  const [alice, bob] = await accounts.make(EJABBERD, 'sa', 'sb');
  const [node1, node2] = lab.nodes;
  const stamp = Date.now();
  const side1 = Array.from({ length: MSGS }, (_, i) => `split-1-${stamp}-${i}`);
  const side2 = Array.from({ length: MSGS }, (_, i) => `split-2-${stamp}-${i}`);
  const figures: Record<string, number | string> = {};
  const r = await splitDistribution(node2!.host);
  assert.equal(r.exitCode, 0, r.stderr);
  try {
    figures.split_seen_after_ms = await waitFor('each node sees itself alone', async () => (await alone(node1!.host)) && (await alone(node2!.host)), 40_000, 500);
    await fillUnread(lab, alice, bob, side1, node1!.address);
    await fillUnread(lab, alice, bob, side2, node2!.address);
    figures.stored_during_split = await storedOffline(lab, bob);
  } finally {
    const healed = await restoreFirewall(node2!.host);
    assert.equal(healed.exitCode, 0, healed.stderr);
  }
  await recoverWhole(figures);
  const printed = (await drainAll(lab, bob, lab.entry[EJABBERD])).map((m) => m.body);
  const counts = tally([...side1, ...side2], printed);
  t.diagnostic(fmt({ ...figures, delivered: counts.delivered, lost: counts.lost.length, duplicates: counts.duplicates }));

  assert.equal(figures.stored_during_split, 2 * MSGS, 'both sides wrote to the one database');
  assert.deepEqual(counts.lost, [], 'writes through either side are readable after recover');
  assert.equal(counts.duplicates, 0);
});

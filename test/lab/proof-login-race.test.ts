// Proof scenario 9: messages stored while their recipient logs in. alice keeps sending to bob while
// bob's `rsxcc -s` runs, again and again: each message lands in offline storage just before, during
// or just after the flush that bob's presence triggers. Every message alice's server confirmed must
// be shown exactly once over the runs.
//
// ejabberd on Mnesia fails this (the lab's `storage: mnesia`): mod_offline_mnesia stores with a
// dirty write and pops with a transaction that reads the user's key on one node, then deletes the
// whole key on every node, so a message written on another node in between is deleted unread. On
// SQL (the lab's default) the pop selects and deletes in one transaction and restarts when they
// disagree: nothing is lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Accounts, EJABBERD, PROSODY, drainAll, envCount, fmt, login, openAs, parseJsonLines, proofSuite, rsxcc, tally, type Account, type ProofLab,
} from './proof-lib.ts';

const ROUNDS = envCount('PROOF_LOGIN_RACE_ROUNDS', 10);
/** Per round, whatever the server's pace: the loop is bounded in count as well as by rsxcc's time-out. */
const MAX_PER_ROUND = 2000;

let lab: ProofLab;
let accounts: Accounts;
const pair: Record<string, [Account, Account]> = {};
proofSuite(async (l, a) => {
  lab = l;
  accounts = a;
  pair[EJABBERD] = await accounts.make(EJABBERD, 'ra', 'rb');
  pair[PROSODY] = await accounts.make(PROSODY, 'ra', 'rb');
});

async function race(domain: string): Promise<ReturnType<typeof tally>> {
  const { default: xml } = await import('@xmpp/xml');
  const [from, to] = pair[domain]!;
  const sender = await openAs(lab, from, lab.entry[domain]!);
  const sent: string[] = [];
  const shown: string[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      let reading = true;
      const reader = rsxcc([...login(lab, to, lab.entry[domain]), '-T', '20', '-o', 'json', '-s']).finally(() => (reading = false));
      for (let i = 0; reading && i < MAX_PER_ROUND; i++) {
        const body = `race ${Accounts.run} ${round}-${i}`;
        await sender.send(xml('message', { to: to.jid, type: 'chat' }, xml('body', {}, body)));
        // Confirmed by the server before it counts as sent; a ping every second message keeps
        // the sending spread over the whole login instead of a burst before it.
        if (i % 2 === 1) await sender.ping();
        sent.push(body);
      }
      await sender.ping();
      const run = await reader;
      assert.equal(run.exitCode, 0, `rsxcc -s: ${run.stderr}`);
      shown.push(...parseJsonLines(run.stdout).map((m) => m.body));
    }
  } finally {
    await sender.close();
  }
  shown.push(...(await drainAll(lab, to, lab.entry[domain])).map((m) => m.body));
  return tally(sent, shown);
}

for (const domain of [PROSODY, EJABBERD]) {
  test(
    `given ${domain}, when messages are stored while bob's rsxcc -s logs in, again and again, then each is shown once`,
    async (t) => {
      const result = await race(domain);
      t.diagnostic(fmt({ ejabberd_nodes: lab.nodes.length, rounds: ROUNDS, sent: result.expected, shown: result.delivered, lost: result.lost.length, duplicates: result.duplicates, lost_sample: result.lost.slice(0, 3).join('|') || '-' }));
      assert.equal(result.unexpected, 0);
      assert.deepEqual(result.lost, [], `${result.lost.length} of ${result.expected} never shown`);
      assert.equal(result.duplicates, 0);
    },
  );
}

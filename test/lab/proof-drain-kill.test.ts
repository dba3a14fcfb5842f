// Proof scenario 4: `kill -9` of `rsxcc -s` at random points of the drain, repeated. A message is
// removed from the server only after it was written to stdout, so the union of everything the
// killed runs printed, plus a last clean run, holds every message (lost = 0). Duplicates (printed,
// then killed before the server was told) are allowed by the design: counted and reported.
// Counts: PROOF_UNREAD messages (CI 300, nightly 1000), PROOF_KILLS kills (CI 6, nightly 20) per server.
// The random kill points come from PROOF_SEED (printed) so that a failure can be replayed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Accounts, Background, EJABBERD, PROSODY, drainAll, envCount, fillUnread, fmt, login, proofSuite, seed, seededRandom, tally,
  waitFor, type ProofLab,
} from './proof-lib.ts';

const UNREAD = envCount('PROOF_UNREAD', 300);
const KILLS = envCount('PROOF_KILLS', 6);
const KILL_LOOP_MS = 30_000 + KILLS * 15_000;

let lab: ProofLab;
let accounts: Accounts;
proofSuite((l, a) => {
  lab = l;
  accounts = a;
});

for (const domain of [EJABBERD, PROSODY]) {
  test(`given ${UNREAD} unread on ${domain}, when rsxcc -s is killed -9 at random points ${KILLS} times, then the union of all output has every message`, { timeout: KILL_LOOP_MS + 90_000 }, async (t) => {
    const [alice, bob] = await accounts.make(domain, 'ka', 'kb');
    const server = lab.entry[domain]!;
    const tag = `drain-${Date.now()}`;
    const bodies = Array.from({ length: UNREAD }, (_, i) => `${tag}-${i}`);
    await fillUnread(lab, alice, bob, bodies, server);

    // The kill point is a random count of printed lines (so it lands mid-drain, where the danger
    // is), or for one run in four a random time from start (so it also lands during login or the
    // server's flush, before anything is printed). A run that finishes first is fine too.
    const random = seededRandom(seed + domain.length);
    const union: string[] = [];
    let killedMidPrint = 0;
    let finishedBeforeKill = 0;
    const loopEnd = Date.now() + KILL_LOOP_MS;
    let kills = 0;
    for (; kills < KILLS && Date.now() < loopEnd; kills++) {
      const run = new Background([...login(lab, bob, server), '-T', '10', '-s']);
      const byTime = random() < 0.25;
      const target = 1 + Math.floor(random() * UNREAD);
      const at = 50 + Math.floor(random() * 600);
      const start = Date.now();
      await Promise.race([
        waitFor('kill point', () => run.exitCode !== null || (byTime ? Date.now() - start >= at : run.bodies().length >= target), 15_000, 5),
        run.exited,
      ]);
      const finished = run.exitCode !== null;
      const r = await run.kill9();
      const printed = run.bodies();
      if (finished) {
        finishedBeforeKill++;
        assert.equal(r.exitCode, 0, r.stderr);
      } else if (printed.length > 0) killedMidPrint++;
      union.push(...printed);
    }
    const last = await drainAll(lab, bob, server);
    union.push(...last.map((m) => m.body));
    const counts = tally(bodies, union);
    t.diagnostic(fmt({
      seed, unread: UNREAD, kills, killed_mid_print: killedMidPrint, finished_before_kill: finishedBeforeKill,
      printed_total: union.length, delivered: counts.delivered, lost: counts.lost.length, duplicates: counts.duplicates,
      shown_by_last_clean_run: last.length,
    }));
    assert.equal(kills, KILLS, 'the kill loop ran out of time');
    assert.deepEqual(counts.lost, [], 'every message printed at least once');
    assert.equal(counts.unexpected, 0);
  });
}

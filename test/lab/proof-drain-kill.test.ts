// Proof scenario 4: `kill -9` of `rsxcc -s` at random points of the drain, each next run started at
// once, on a backlog beyond every server default that could change the outcome (Prosody's
// stream-management queue holds 500 by default, ejabberd's 5,000 unacknowledged). A message is
// acknowledged only after it was written to stdout, and the server keeps what was not: after each
// kill, what the runs printed plus what the database still stores (counted there, not by rsxcc)
// covers every message; a last clean run empties the store. Duplicates (printed, then killed before
// the server was told) are allowed by the design: counted and reported.
// Counts: PROOF_UNREAD messages (CI 2,000; nightly up to the offline limit), PROOF_KILLS (CI 8).
// The random kill points come from PROOF_SEED (printed) so that a failure can be replayed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Accounts, Background, EJABBERD, PROSODY, drainAll, envCount, fillUnread, fmt, login, proofSuite, seed, seededRandom, settledOffline,
  storedBodies, storedOffline, tally, waitFor, type ProofLab,
} from './proof-lib.ts';

const UNREAD = envCount('PROOF_UNREAD', 2000);
const KILLS = envCount('PROOF_KILLS', 8);
const KILL_LOOP_MS = 60_000 + KILLS * 20_000;

let lab: ProofLab;
let accounts: Accounts;
proofSuite((l, a) => {
  lab = l;
  accounts = a;
});

for (const domain of [EJABBERD, PROSODY]) {
  test(`given ${UNREAD} unread on ${domain}, when rsxcc -s is killed -9 at random points ${KILLS} times, the next run started at once, then nothing is lost: printed or still stored, and all printed in the end`, { timeout: KILL_LOOP_MS + 180_000 }, async (t) => {
    const [alice, bob] = await accounts.make(domain, 'ka', 'kb');
    const server = lab.entry[domain]!;
    const tag = `drain-${Date.now()}`;
    const bodies = Array.from({ length: UNREAD }, (_, i) => `${tag}-${i}`);
    await fillUnread(lab, alice, bob, bodies, server);
    assert.equal(await storedOffline(lab, bob), UNREAD, 'the database holds the whole backlog before the first run');

    // The kill point is a random count of printed lines (so it lands mid-drain, where the danger
    // is: most of the backlog sent and unacknowledged), or for one run in four a random time from
    // start (login, or the server's flush before anything is printed).
    const random = seededRandom(seed + domain.length);
    const union: string[] = [];
    const short: string[] = [];
    let killedMidPrint = 0;
    let finishedBeforeKill = 0;
    const loopEnd = Date.now() + KILL_LOOP_MS;
    let kills = 0;
    for (; kills < KILLS && Date.now() < loopEnd; kills++) {
      const run = new Background([...login(lab, bob, server), '-T', '20', '-s']);
      const byTime = random() < 0.25;
      const target = 1 + Math.floor(random() * UNREAD * 0.8);
      const at = 50 + Math.floor(random() * 600);
      const start = Date.now();
      await Promise.race([
        waitFor('kill point', () => run.exitCode !== null || (byTime ? Date.now() - start >= at : run.bodies().length >= target), 30_000, 5),
        run.exited,
      ]);
      const finished = run.exitCode !== null;
      const r = await run.kill9();
      const printed = run.bodies();
      if (finished) {
        finishedBeforeKill++;
        assert.equal(r.exitCode, 0, r.stderr);
      } else if (printed.length > 0 && printed.length < UNREAD) killedMidPrint++;
      union.push(...printed);
      // What the server kept after this kill, once it has stored the dead session's
      // unacknowledged messages again: with what was printed, nothing may be missing.
      await settledOffline(lab, bob);
      const kept = new Set([...union, ...(await storedBodies(lab, bob))]);
      const missing = bodies.filter((b) => !kept.has(b));
      if (missing.length) short.push(`kill ${kills + 1}: ${missing.length} neither printed nor stored (${missing.slice(0, 3).join(' ')})`);
    }
    const last = await drainAll(lab, bob, server);
    union.push(...last.map((m) => m.body));
    const counts = tally(bodies, union);
    t.diagnostic(fmt({
      seed, unread: UNREAD, kills, killed_mid_print: killedMidPrint, finished_before_kill: finishedBeforeKill,
      printed_total: union.length, delivered: counts.delivered, lost: counts.lost.length, duplicates: counts.duplicates,
      shown_by_last_clean_run: last.length, short_after_a_kill: short.length,
    }));
    assert.equal(kills, KILLS, 'the kill loop ran out of time');
    assert.ok(killedMidPrint >= KILLS / 2, `premise: kills landed mid-print (${killedMidPrint} of ${kills})`);
    assert.deepEqual(short, [], 'after every kill, printed or stored');
    assert.deepEqual(counts.lost, [], 'every message printed at least once');
    assert.equal(counts.unexpected, 0);
    assert.equal(await storedOffline(lab, bob), 0, 'the last clean run emptied the store');
  });
}

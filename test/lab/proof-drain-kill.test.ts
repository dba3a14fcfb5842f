// Proof scenario 4: `kill -9` of `rsxcc -s` at random points of the drain, each next run started at
// once, on a backlog beyond every server default that could change the outcome (Prosody's
// stream-management queue holds 500 by default, ejabberd's 5,000 unacknowledged). A message is
// acknowledged only after it was written to stdout, and the server keeps what was not: after the
// kills, what the runs printed plus what the database still stores (counted there, not by rsxcc)
// covers every message; a last clean run empties the store. Duplicates (printed, then killed before
// the server was told) are allowed by the design: counted and reported.
// Counts: PROOF_UNREAD messages (CI 2,000; nightly up to the offline limit), PROOF_KILLS (CI 8).
// The random kill points come from PROOF_SEED (printed) so that a failure can be replayed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Accounts, Background, EJABBERD, PROSODY, drainAll, envCount, fillUnread, fmt, login, proofFixture, seed, seededRandom, settledOffline,
  sleep, storedBodies, storedOffline, tally, type ProofLab,
} from './proof-lib.ts';

const UNREAD = envCount('PROOF_UNREAD', 2000);
const KILLS = envCount('PROOF_KILLS', 8);
const KILL_LOOP_MS = 60_000 + KILLS * 20_000;

const fixture = proofFixture();

for (const domain of [EJABBERD, PROSODY]) {
  test(`given ${UNREAD} unread on ${domain}, when rsxcc -s is killed -9 at random points ${KILLS} times, the next run started at once, then nothing is lost: printed or still stored, and all printed in the end`, { timeout: KILL_LOOP_MS + 180_000 }, async (t) => {
    const { lab, accounts } = fixture;
    const [alice, bob] = await accounts.make(domain, 'ka', 'kb');
    const server = lab.entry[domain]!;
    const tag = `drain-${Date.now()}`;
    const bodies = Array.from({ length: UNREAD }, (_, i) => `${tag}-${i}`);
    await fillUnread(lab, alice, bob, bodies, server);
    assert.equal(await storedOffline(lab, bob), UNREAD, 'the database holds the whole backlog before the first run');

    // The kill point is a random count of printed lines (so it lands mid-drain, where the danger
    // is: much of the backlog sent and unacknowledged), or for one run in four a random time from
    // start (login, or the server's flush before anything is printed). The next run starts at
    // once (after a count of the store), while the server may still be storing the dead
    // session's messages, or (ejabberd) routes them to that next session live. When the store runs low it is filled up again
    // (new messages, expected like the first), so that every kill has a drain to land in.
    const random = seededRandom(seed + domain.length);
    const expected = [...bodies];
    const union: string[] = [];
    let killedMidPrint = 0;
    let finishedBeforeKill = 0;
    const loopEnd = Date.now() + KILL_LOOP_MS;
    let kills = 0;
    const points: string[] = [];
    for (; kills < KILLS && Date.now() < loopEnd; kills++) {
      // At most half of what waits (counted just before the run, ~0.1 s), since the rest (over
      // 64 kB of output) cannot all be in the pipe yet.
      let waiting = await storedOffline(lab, bob);
      if (waiting < UNREAD / 4 && (waiting = await settledOffline(lab, bob)) < UNREAD / 4) {
        const more = Array.from({ length: UNREAD / 2 }, (_, i) => `${tag}-more${kills}-${i}`);
        await fillUnread(lab, alice, bob, more, server);
        expected.push(...more);
        waiting = await storedOffline(lab, bob);
      }
      const run = new Background([...login(lab, bob, server), '-T', '20', '-s']);
      const byTime = random() < 0.25;
      const at = 50 + Math.floor(random() * 250);
      const target = 1 + Math.floor(random() * waiting * 0.5);
      if (!byTime) run.killAtLine(target);
      await Promise.race([sleep(byTime ? at : 30_000), run.exited]);
      const finished = run.exitCode !== null;
      const r = await run.kill9();
      const printed = run.bodies();
      points.push(`${byTime ? `${at}ms` : `line ${target}`}/${waiting}:${finished ? 'finished' : printed.length}`);
      if (finished) {
        finishedBeforeKill++;
        assert.equal(r.exitCode, 0, r.stderr);
      } else if (printed.length > 0) killedMidPrint++;
      union.push(...printed);
    }
    // Once the servers have stored again what the dead sessions left (no resumption is asked for,
    // so at once), what was printed and what is stored cover every message.
    const stored = await settledOffline(lab, bob);
    const kept = new Set([...union, ...(await storedBodies(lab, bob))]);
    const neither = expected.filter((b) => !kept.has(b));
    const last = await drainAll(lab, bob, server);
    union.push(...last.map((m) => m.body));
    const counts = tally(expected, union);
    t.diagnostic(fmt({
      seed, unread: UNREAD, expected: expected.length, kills, killed_mid_print: killedMidPrint, finished_before_kill: finishedBeforeKill,
      printed_total: union.length, delivered: counts.delivered, lost: counts.lost.length, duplicates: counts.duplicates,
      stored_after_kills: stored, shown_by_last_clean_run: last.length, kill_points: points.join(' '),
    }));
    assert.equal(kills, KILLS, 'the kill loop ran out of time');
    assert.ok(killedMidPrint >= KILLS / 2, `premise: most kills landed mid-print (${killedMidPrint} of ${kills})`);
    assert.deepEqual(neither.slice(0, 3), [], `after the kills, ${neither.length} neither printed nor stored`);
    assert.deepEqual(counts.lost, [], 'every message printed at least once');
    assert.equal(counts.unexpected, 0);
    assert.equal(await storedOffline(lab, bob), 0, 'the last clean run emptied the store');
  });
}

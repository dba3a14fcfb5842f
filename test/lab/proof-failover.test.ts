// Proof scenario 3: sends through HAProxy while an ejabberd node is powered off and started again
// mid-way. The promise under test: exit 0 means the server has the message. So every run that
// exited 0 has its message in the recipient's unread (lost = 0), and a run whose message is not
// there exited non-zero with a one-line error. Counts: PROOF_SENDS (CI 200, nightly 1000).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Accounts, CONCURRENCY, EJABBERD, drainAll, envCount, fault, fmt, hasStackTrace, pool, proofFixture, restoreLab, send, tally,
  type ProofLab, type Run,
} from './proof-lib.ts';

const SENDS = envCount('PROOF_SENDS', 200);
// Time bound of the whole loop: at the CI size it takes ~40 s; nightly sizes scale it.
const LOOP_MS = envCount('PROOF_SENDS_BUDGET_MS', 60_000 + SENDS * 600);

const fixture = proofFixture({ restore: true });

test(`given ${SENDS} sends through HAProxy, when ejabberd1 is killed a third of the way and started at two thirds, then every exit-0 send is in the recipient's unread (lost = 0)`, { timeout: LOOP_MS + 180_000 }, async (t) => {
  const { lab, accounts } = fixture;
  const [alice, bob] = await accounts.make(EJABBERD, 'fa', 'fb');
  const tag = `failover-${Date.now()}`;
  const bodies = Array.from({ length: SENDS }, (_, i) => `${tag}-${i}`);
  const node = lab.nodes[0]!.host;
  const killAt = Math.floor(SENDS / 3);
  const startAt = Math.floor((2 * SENDS) / 3);
  // The faults run beside the sends (not between them), so sends are in flight when the node dies.
  let faults: Promise<unknown> = Promise.resolve();
  const timeline: string[] = [];
  const t0 = Date.now();
  const spans: Array<[number, number]> = [];
  let kill: [number, number] | undefined;

  const { results, notStarted } = await pool(bodies, CONCURRENCY, t0 + LOOP_MS, async (body, i) => {
    if (i === killAt) {
      faults = faults.then(async () => {
        const began = Date.now();
        await fault('kill', node);
        kill = [began, Date.now()];
        timeline.push(`killed at ${Date.now() - t0} ms`);
      });
    }
    if (i === startAt) faults = faults.then(() => fault('start', node)).then(() => timeline.push(`started at ${Date.now() - t0} ms`));
    const began = Date.now();
    const r = await send(lab, alice, bob, body, lab.entry[EJABBERD]);
    spans.push([began, Date.now()]);
    return r;
  });
  await faults;
  const loopMs = Date.now() - t0;
  await restoreLab();

  const runs = results.map((r, i) => ({ body: bodies[i]!, run: r as Run | undefined }));
  const confirmed = runs.filter((r) => r.run?.exitCode === 0);
  const failed = runs.filter((r) => r.run && r.run.exitCode !== 0);
  const printed = (await drainAll(lab, bob, lab.entry[EJABBERD])).map((m) => m.body);
  const counts = tally(confirmed.map((r) => r.body), printed);
  const failedButDelivered = tally(failed.map((r) => r.body), printed).delivered;
  const exitCodes = [...new Set(failed.map((r) => r.run!.exitCode))].sort();
  t.diagnostic(fmt({
    sent: SENDS - notStarted, confirmed: confirmed.length, delivered: counts.delivered, failed_with_error: failed.length,
    failed_but_delivered: failedButDelivered, lost: counts.lost.length, duplicates: counts.duplicates,
    failure_exit_codes: exitCodes.join('/') || '-', loop_ms: loopMs,
  }));
  t.diagnostic(timeline.join('; '));

  assert.equal(notStarted, 0, `the time bound (${LOOP_MS} ms) cut the loop short`);
  // In flight while `chatlab kill` ran: started before it was done, ended after it began.
  const inFlight = kill ? spans.filter(([began, ended]) => began < kill![1] && ended > kill![0]).length : 0;
  t.diagnostic(`sends in flight across the kill: ${inFlight}`);
  assert.ok(inFlight > 0, 'premise: sends were in flight when the node died');
  assert.deepEqual(counts.lost, [], 'every send that exited 0 is in the unread');
  assert.equal(counts.duplicates, 0, 'one send, one message');
  for (const { run } of failed) {
    // A failure is said, in one line, with a documented status: unreachable (69) or time-out/temporary (75).
    assert.ok([69, 75].includes(run!.exitCode!), `exit ${run!.exitCode}: ${run!.stderr}`);
    assert.equal(hasStackTrace(run!.stderr), false, run!.stderr);
    assert.equal(run!.stderr.trim().split('\n').length, 1, run!.stderr);
  }
  assert.ok(confirmed.length > 0, 'the surviving node took sends');
});

// Proof scenario 5: continuous mode (`rsxcc -c`) across a Prosody restart and the loss of the
// ejabberd node that holds its session. It says it lost the connection and reconnected (stderr);
// every message whose send exited 0 (before, during and after the outage) is printed; lost = 0.
// During the outage alice keeps trying every 300 ms (bounded): a send that fails says so (exit != 0)
// and is not expected; one that exits 0 must arrive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Accounts, EJABBERD, PROSODY, fault, fmt, listener, login, proofFixture, proxiedConnections, send, sleep, tally, waitFor,
  type Account, type ProofLab,
} from './proof-lib.ts';

const fixture = proofFixture({ restore: true });

/** Sends one numbered message; returns its body if the server confirmed it (exit 0). */
async function sendNumbered(lab: ProofLab, from: Account, to: Account, tag: string, n: number, server: string) {
  const body = `${tag}-${n}`;
  const r = await send(lab, from, to, body, server, ['-T', '3']);
  return { body, ok: r.exitCode === 0 };
}

async function scenario(t: { diagnostic(s: string): void }, domain: string, outage: () => Promise<{ down: () => Promise<void>; up: () => Promise<void> }>) {
  const { lab, accounts } = fixture;
  const [alice, bob] = await accounts.make(domain, 'ca', 'cb');
  const server = lab.entry[domain]!;
  const tag = `cont-${Date.now()}`;
  const run = listener([...login(lab, bob, server), '-v']);
  const confirmed: string[] = [];
  let failed = 0;
  let n = 0;
  const attempt = async () => {
    const s = await sendNumbered(lab, alice, bob, tag, n++, server);
    if (s.ok) confirmed.push(s.body);
    else failed++;
  };
  try {
    await waitFor('listener online', () => run.stderr.includes('waiting for messages'), 15_000, 100);
    const plan = await outage();
    for (let i = 0; i < 5; i++) await attempt();
    await waitFor('messages before the outage printed', () => tally(confirmed, run.bodies()).lost.length === 0, 10_000, 100);

    const outageStart = Date.now();
    await plan.down();
    // While the service is down or the listener not yet back: keep sending, bounded in count and time.
    const deadline = Date.now() + 60_000;
    let upDone = false;
    const upLater = sleep(3_000).then(() => plan.up()).then(() => (upDone = true));
    while (Date.now() < deadline && n < 400 && !(upDone && run.stderr.includes('reconnected'))) {
      await attempt();
      await sleep(300);
    }
    await upLater;
    await waitFor('listener says it reconnected', () => run.stderr.includes('reconnected'), 60_000, 200);
    const reconnectMs = Date.now() - outageStart;
    for (let i = 0; i < 5; i++) await attempt();
    await waitFor('every confirmed message printed', () => tally(confirmed, run.bodies()).lost.length === 0, 20_000, 200).catch(() => {});
    const exit = await run.stop();
    const counts = tally(confirmed, run.bodies());
    t.diagnostic(fmt({
      sent: n, confirmed: confirmed.length, failed_with_error: failed, delivered: counts.delivered, lost: counts.lost.length,
      duplicates: counts.duplicates, kill_to_restarted_and_reconnected_ms: reconnectMs, exit: String(exit.exitCode),
    }));
    t.diagnostic(`listener stderr: ${run.stderr.split('\n').filter((l) => /lost|reconnect/.test(l)).join(' | ')}`);
    assert.match(run.stderr, /connection lost/);
    assert.deepEqual(counts.lost, [], 'every confirmed message printed');
    assert.equal(exit.exitCode, 0, exit.stderr);
  } finally {
    await run.stop();
  }
}

test('given bob following on Prosody, when Prosody is powered off and started again, then he reconnects and every confirmed message is printed', { timeout: 240_000 }, async (t) => {
  const { lab, accounts } = fixture;
  await scenario(t, PROSODY, async () => ({ down: async () => void (await fault('kill', 'prosody')), up: async () => void (await fault('start', 'prosody')) }));
});

test('given bob following through HAProxy, when the ejabberd node holding his session is powered off, then he reconnects to the other and every confirmed message is printed', { timeout: 240_000 }, async (t) => {
  const { lab, accounts } = fixture;
  // The session's node: the one whose HAProxy connections grew when the listener logged in.
  const before = await proxiedConnections(lab);
  await scenario(t, EJABBERD, async () => {
    const now = await proxiedConnections(lab);
    const host = Object.keys(now).find((h) => now[h]! > before[h]!);
    assert.ok(host, `the listener's node: connections before ${JSON.stringify(before)}, after ${JSON.stringify(now)}`);
    t.diagnostic(`listener's session on ${host}`);
    return { down: async () => void (await fault('kill', host)), up: async () => void (await fault('start', host)) };
  });
});

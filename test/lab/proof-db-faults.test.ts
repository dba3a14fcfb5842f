// Proof scenario 12: the database dies under each server (ejabberd: the db host powered off;
// Prosody: its MariaDB crashes, Prosody itself runs on). While it is down, a send may exit 0 only if
// the message is stored; an unread run may remove nothing it could not show; once the database is
// back, every confirmed message is there. What each server does meanwhile (exit statuses, how long
// rsxcc takes to say so) is reported. Counts come from the database.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Accounts, EJABBERD, PROSODY, drainAll, fault, fillUnread, fmt, hasStackTrace, parseJsonLines, login, proofFixture, rsxcc, storedBodies, tally,
  type ProofLab,
} from './proof-lib.ts';
import { chatlab } from './fixture.ts';

const STORED = 50;
const SENDS = 3;

const fixture = proofFixture({ restore: true });

/** How each server's database goes down and comes back. */
const outage = (domain: string) =>
  domain === EJABBERD
    ? { kill: () => fault('kill', fixture.lab.status.db!), start: () => fault('start', fixture.lab.status.db!) }
    : {
        kill: async () => {
          const r = await chatlab('kill', 'prosody', 'mariadb');
          assert.equal(r.exitCode, 0, r.stderr);
        },
        start: () => fault('start', 'prosody'),
      };

for (const domain of [EJABBERD, PROSODY]) {
  test(`given ${domain} with its database down, then no send exits 0 unless stored, an unread run removes nothing, and all confirmed is there once it is back`, { timeout: 300_000 }, async (t) => {
    const { lab, accounts } = fixture;
    const [alice, bob] = await accounts.make(domain, 'da', 'db');
    const server = lab.entry[domain]!;
    const tag = `dbfault-${Date.now()}`;
    const before = Array.from({ length: STORED }, (_, i) => `${tag}-before-${i}`);
    await fillUnread(lab, alice, bob, before, server);
    const { kill, start } = outage(domain);
    const sends: Array<{ body: string; exit: number | undefined; ms: number; stderr: string }> = [];
    let unreadRun;
    await kill();
    try {
      for (let i = 0; i < SENDS; i++) {
        const body = `${tag}-during-${i}`;
        const r = await rsxcc([...login(lab, alice, server), '-T', '5', '-t', bob.jid, '-m', body], { killAfterMs: 40_000 });
        sends.push({ body, exit: r.exitCode, ms: r.ms, stderr: r.stderr.trim() });
      }
      unreadRun = await rsxcc([...login(lab, bob, server), '-T', '5', '-o', 'json', '-s'], { killAfterMs: 40_000 });
    } finally {
      await start();
    }
    const printedWhileDown = parseJsonLines(unreadRun.stdout).map((m) => m.body);
    const stored = new Set(await storedBodies(lab, bob));
    const confirmed = sends.filter((s) => s.exit === 0).map((s) => s.body);
    const rest = (await drainAll(lab, bob, server)).map((m) => m.body);
    const counts = tally([...before, ...confirmed], [...printedWhileDown, ...rest]);
    t.diagnostic(fmt({
      sends_exit: sends.map((s) => s.exit).join(','), slowest_send_ms: Math.max(...sends.map((s) => s.ms)),
      send_stderr: sends[0]!.stderr.split('\n')[0] || '-', unread_exit: String(unreadRun.exitCode), unread_ms: unreadRun.ms,
      unread_stderr: unreadRun.stderr.trim().split('\n')[0] || '-', printed_while_down: printedWhileDown.length,
      stored_after: stored.size, delivered: counts.delivered, lost: counts.lost.length,
    }));
    for (const s of sends) {
      // 77 too: Prosody answers not-authorized while it cannot read the account (README, What is tested).
      assert.ok(s.exit === 0 || s.exit === 69 || s.exit === 75 || s.exit === 77, `send exit ${s.exit}: ${s.stderr}`);
      assert.ok(!hasStackTrace(s.stderr), s.stderr);
    }
    for (const body of confirmed) assert.ok(stored.has(body), `${body}: confirmed while the database was down, not stored`);
    const kept = new Set([...printedWhileDown, ...stored]);
    assert.deepEqual(before.filter((b) => !kept.has(b)), [], 'the unread run removed nothing it did not show');
    assert.deepEqual(counts.lost, [], 'every stored and every confirmed message is readable once the database is back');
  });
}

// rsxcc -H on both servers (issue 14): an archive of 1,000 messages read to its end through every
// page the server makes (ejabberd 250 a page, Prosody 50), oldest first, each once, with what the
// database holds as the count to match; archiving switched on per account with -M, as the lab's
// servers archive nothing by default; and the offline messages untouched by the reading.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  EJABBERD, PROSODY, drainAll, envCount, fillUnread, fmt, login, parseJsonLines, proofFixture, rsxcc, sqlQuery, storedOffline, waitFor, type Account,
} from './proof-lib.ts';

const ARCHIVED = envCount('PROOF_ARCHIVED', 1000);

const suite = proofFixture();

/** Messages archived for `account`, counted in the server's database (ejabberd's archive table, Prosody's archive store). */
async function storedArchive(account: Account): Promise<number> {
  const [user, domain] = account.jid.split('@') as [string, string];
  const query = domain === EJABBERD
    ? `SELECT COUNT(*) FROM archive WHERE username='${user}'`
    : `SELECT COUNT(*) FROM prosodyarchive WHERE host='${domain}' AND user='${user}' AND store='archive'`;
  return Number(await sqlQuery(suite.lab, domain, query));
}

/** One archived message as `rsxcc -H -o json` prints it. */
interface HistoryLine {
  archiveId: string;
  from: string;
  to: string;
  type: string;
  body: string;
  stamp: string;
}

for (const domain of [EJABBERD, PROSODY]) {
  describe(`rsxcc -H on ${domain}`, () => {
    let alice: Account;
    let bob: Account;
    let server: string;
    before(async () => {
      [alice, bob] = await suite.accounts.make(domain, 'ha', 'hb');
      server = suite.lab.entry[domain]!;
    });

    test('given a new account, when -M always runs, then it prints the default now in force, and only messages after it are archived', async () => {
      await fillUnread(suite.lab, alice, bob, [`history-early-${Date.now()}`], server);
      assert.equal(await storedArchive(bob), 0, 'premise: the lab archives nothing by default');
      const set = await rsxcc([...login(suite.lab, bob, server), '-M', 'always']);
      assert.equal(set.exitCode, 0, set.stderr);
      assert.equal(set.stdout, 'always\n');
      const json = await rsxcc([...login(suite.lab, bob, server), '-M', 'always', '-o', 'json']);
      assert.equal(json.stdout, '{"default":"always"}\n');
      const empty = await rsxcc([...login(suite.lab, bob, server), '-H', '-o', 'json']);
      assert.equal(empty.exitCode, 0, empty.stderr);
      assert.equal(empty.stdout, '', 'the message sent before -M is not in the archive');
      await drainAll(suite.lab, bob, server);
    });

    test(`given ${ARCHIVED} archived messages, when -H reads them, then every one is printed once, oldest first, as many as the database holds, and the offline messages stay stored`, async (t) => {
      const tag = `history-${Date.now()}`;
      const bodies = Array.from({ length: ARCHIVED }, (_, i) => `${tag}-${i}`);
      await fillUnread(suite.lab, alice, bob, bodies, server);
      let archivedInDb = 0;
      await waitFor('the database holds every archived message', async () => (archivedInDb = await storedArchive(bob)) >= ARCHIVED, 30_000);
      const offlineBefore = await storedOffline(suite.lab, bob);
      assert.equal(archivedInDb, ARCHIVED, 'premise: the server archived every message (archiving switched on by the test above)');

      const read = await rsxcc([...login(suite.lab, bob, server), '-T', '20', '-H', '-o', 'json'], { killAfterMs: 120_000 });
      assert.equal(read.exitCode, 0, read.stderr);
      const lines = parseJsonLines(read.stdout) as unknown as HistoryLine[];
      const ids = new Set(lines.map((line) => line.archiveId));
      const stamps = lines.map((line) => Date.parse(line.stamp));
      const offlineAfter = await storedOffline(suite.lab, bob);
      t.diagnostic(fmt({ archived_in_db: archivedInDb, printed: lines.length, distinct_ids: ids.size, offline_before: offlineBefore, offline_after: offlineAfter, ms: read.ms }));
      assert.deepEqual(lines.map((line) => line.body), bodies, 'all, in the order sent, oldest first');
      assert.equal(ids.size, lines.length, 'nothing twice across page boundaries');
      assert.ok(stamps.every((stamp, i) => !Number.isNaN(stamp) && (i === 0 || stamp >= stamps[i - 1]!)), 'archive stamps never go back');
      for (const line of lines) {
        assert.equal(line.from.split('/')[0], alice.jid);
        assert.equal(line.to.split('/')[0], bob.jid);
        assert.equal(line.type, 'chat');
      }
      assert.equal(offlineAfter, offlineBefore, 'no presence was sent: the offline messages were not flushed');
      await drainAll(suite.lab, bob, server);
    });

    test('given the archive, when -H is filtered by -B and -N, then the oldest N from that time are printed, in text with time, id and both ends', async () => {
      const all = parseJsonLines((await rsxcc([...login(suite.lab, bob, server), '-H', '-o', 'json'])).stdout) as unknown as HistoryLine[];
      assert.ok(all.length > 20, 'premise: the archive of the test above');
      const from = all[10]!;
      // -B takes the time as text output prints it, without its fraction: it may start up to a second earlier.
      const since = new Date(Math.floor(Date.parse(from.stamp) / 1000) * 1000).toISOString().replace('.000Z', 'Z');
      const text = await rsxcc([...login(suite.lab, bob, server), '-H', '-B', since, '-N', '5']);
      assert.equal(text.exitCode, 0, text.stderr);
      const printed = text.stdout.split('\n').filter(Boolean);
      assert.equal(printed.length, 5, text.stdout);
      const expected = all.filter((line) => Date.parse(line.stamp) >= Date.parse(since)).slice(0, 5);
      printed.forEach((line, i) => {
        assert.ok(line.includes(` #${expected[i]!.archiveId} ${expected[i]!.from} -> ${expected[i]!.to}: ${expected[i]!.body}`), line);
      });
    });

    test('given archiving switched off again, when -M never runs, then it prints never', async () => {
      const off = await rsxcc([...login(suite.lab, bob, server), '-M', 'never']);
      assert.equal(off.exitCode, 0, off.stderr);
      assert.equal(off.stdout, 'never\n');
    });
  });
}

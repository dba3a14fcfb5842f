// Prosody's stream-management queue costs what waits in it, not its bound. mod_smacks allocates
// each session's ring whole at smacks_max_queue_size (the lab's bound holds a whole offline flush
// and as much again: 40,000 slots, 640 kB); the lab's chatlab_smacks_queue gives each session a
// ring that grows. Counted in Prosody's own Lua heap, after full collections, through its admin
// shell.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chatlab } from './fixture.ts';
import { PROSODY, listener, login, proofFixture, waitFor, type Account } from './proof-lib.ts';

const SESSIONS = 20;
/** Per session: the session itself and an empty ring, with room to spare; mod_smacks's own ring alone is 640 kB. */
const LIMIT_KB = 64;

const fixture = proofFixture();

async function prosodyShell(lua: string): Promise<string> {
  const r = await chatlab('exec', 'prosody', '--', 'prosodyctl', 'shell', `>${lua}`);
  assert.equal(r.exitCode, 0, r.stderr);
  const result = /^Result: (.*)$/m.exec(r.stdout);
  assert.ok(result, `no result from Prosody's shell: ${r.stdout}`);
  return result[1]!;
}

const heapKb = async () => Number(await prosodyShell('collectgarbage("collect") collectgarbage("collect") return collectgarbage("count")'));

/** Sessions of `user` with a stream-management queue, and how many of those queues are the lab's ring. */
async function queues(user: string): Promise<{ sessions: number; rings: number }> {
  const counted = await prosodyShell(
    `local n, r = 0, 0 for _, s in pairs(prosody.full_sessions) do if s.username == "${user}" and s.outgoing_stanza_queue then n = n + 1 if s.outgoing_stanza_queue._queue.chatlab then r = r + 1 end end end return n .. " " .. r`,
  );
  const [sessions, rings] = counted.split(' ').map(Number) as [number, number];
  return { sessions, rings };
}

test(`given the lab, when ${SESSIONS} rsxcc -c with stream management are online on Prosody, then Prosody holds less than ${LIMIT_KB} kB for each`, { timeout: 120_000 }, async (t) => {
  const { lab, accounts } = fixture;
  const [bob] = (await accounts.make(PROSODY, 'qb')) as [Account];
  const user = bob.jid.split('@')[0]!;
  const before = await heapKb();
  const runs = Array.from({ length: SESSIONS }, () => listener([...login(lab, bob, lab.entry[PROSODY]), '-v']));
  try {
    await waitFor(`${SESSIONS} listeners online`, () => runs.every((r) => r.stderr.includes('waiting for messages')), 60_000, 100);
    const online = await queues(user);
    const during = await heapKb();
    const perSessionKb = (during - before) / SESSIONS;
    t.diagnostic(`Lua heap ${before.toFixed(0)} kB before, ${during.toFixed(0)} kB with ${SESSIONS} sessions: ${perSessionKb.toFixed(1)} kB each`);
    assert.ok(runs.every((r) => r.stderr.includes('stream management enabled')), 'premise: every listener has stream management');
    assert.deepEqual(online, { sessions: SESSIONS, rings: SESSIONS }, "premise: the server has each session, each queue the lab's ring");
    assert.ok(perSessionKb < LIMIT_KB, `${perSessionKb.toFixed(1)} kB a session`);
  } finally {
    await Promise.all(runs.map((r) => r.stop()));
  }
});

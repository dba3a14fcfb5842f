// Unread output is streamed, not buffered: when whoever reads rsxcc's stdout falls behind, rsxcc
// stops reading from the server, so the messages wait in TCP and in the server's storage instead
// of piling up in rsxcc's memory (the peak RSS with 10,000 waiting is a benchmark figure; this is
// the behaviour behind it). Once the reader catches up, everything is shown once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { execa } from 'execa';
import {
  Accounts, EJABBERD, PROSODY, fillUnread, fmt, login, parseJsonLines, proofFixture, rsxccBin, sleep, tally, waitFor, type ProofLab,
} from './proof-lib.ts';

const UNREAD = 2000;

const fixture = proofFixture();

/** Bytes the kernel holds for `pid`'s TCP connection to `server` that the process has not read yet (0 with no connection). */
async function unreadInKernel(pid: number, server: string): Promise<number> {
  const { stdout } = await execa('ss', ['-tnpH', 'state', 'established', 'dst', server]);
  const line = stdout.split('\n').find((l) => l.includes(`pid=${pid},`));
  return line ? Number(line.trim().split(/\s+/)[0]) : 0;
}

for (const domain of [PROSODY, EJABBERD]) {
  test(`given ${UNREAD} unread on ${domain}, when nobody reads rsxcc -s's output, then the rest stays in the socket; once read, each is shown once`, async (t) => {
    const { lab, accounts } = fixture;
    const [alice, bob] = await accounts.make(domain, 'ba', 'bb');
    const server = lab.entry[domain]!;
    const tag = `bp-${Date.now()}`;
    const bodies = Array.from({ length: UNREAD }, (_, i) => `${tag}-${i}`);
    await fillUnread(lab, alice, bob, bodies, server);

    // child_process, not execa: execa drains an unbuffered stdout itself, and here nobody may.
    const child = spawn('node', [rsxccBin, ...login(lab, bob, server), '-T', '60', '-o', 'json', '-s'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = once(child, 'close') as Promise<[number | null, string | null]>;
    const killer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    let out = '';
    let queued = 0;
    let aSecondLater = 0;
    try {
      // The stdout pipe (64 kB) fills and is not read: rsxcc's writes stall, and it must stop
      // reading the server. The kernel's receive queue then holds data rsxcc did not take.
      await waitFor("data left unread in rsxcc's socket", async () => (queued = await unreadInKernel(child.pid!, server)) > 0, 15_000, 250);
      await sleep(1000);
      aSecondLater = await unreadInKernel(child.pid!, server);
    } finally {
      // Whatever happened above, the reader now catches up, and rsxcc can finish.
      child.stdout.on('data', (d: Buffer) => (out += d));
    }
    const [exitCode] = await exited;
    clearTimeout(killer);
    const counts = tally(bodies, parseJsonLines(out).map((m) => m.body));
    t.diagnostic(fmt({ sent: UNREAD, kernel_receive_queue: queued, a_second_later: aSecondLater, shown: counts.delivered, lost: counts.lost.length, duplicates: counts.duplicates }));
    assert.ok(aSecondLater > 0, 'rsxcc went on reading the server while its output was not read');
    assert.equal(exitCode, 0, stderr);
    assert.equal(counts.lost.length, 0);
    assert.equal(counts.duplicates, 0);
  });
}

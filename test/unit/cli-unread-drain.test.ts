// rsxcc -s draining a backlog sent the way the lab's servers send it (fake-flood.ts): every message
// once, in order and intact, however the TLS records cut the text; killed mid-drain, the server has
// an acknowledgement for no line that was not written; with the output stalled, the inbox takes no
// more messages (the session stops reading) and nothing is acknowledged until the reader catches up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { catchUp, Inbox, receiving } from '../../cli/modes/unread.ts';
import { LinePrinter } from '../../cli/output.ts';
import { ACCOUNT } from './fake-archive.ts';
import { body, flood, type Flavour } from './fake-flood.ts';
import { fakeServer, PASSWORD, withFakeServer, type FakeServer } from './fake-xmpp-server.ts';

const main = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A flood server of `n` that records the highest h of every <a/> it is sent. */
async function floodServer(flavour: Flavour, marker: string, n: number): Promise<{ server: FakeServer; acked: () => number }> {
  let acked = 0;
  const server = await fakeServer([], {
    flood: flood(flavour, marker, n),
    onElement: (element) => {
      if (element.name === 'a') acked = Math.max(acked, Number(element.attrs.h));
    },
  });
  return { server, acked: () => acked };
}

/** rsxcc -s -o json as a process against `server`; `onLine` sees each line as it is read. */
function drain(server: FakeServer, onLine: (line: string, child: ReturnType<typeof spawn>) => void) {
  const argv = ['--import', 'tsx', main, '-j', ACCOUNT, '-K', '-x', `127.0.0.1:${server.port}`, '-T', '10', '-s', '-o', 'json'];
  const child = spawn(process.execPath, argv, { env: { ...process.env, XMPP_PASSWORD: PASSWORD }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    onLine(line, child);
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  // The pipe's end: every line rsxcc handed to the kernel has been read.
  const read = once(child.stdout!, 'end');
  return { lines, stderr: () => stderr, done: Promise.all([exited, read]).then(([[code, signal]]) => ({ code, signal })) };
}

const bodies = (lines: string[]) => lines.map((line) => (JSON.parse(line) as { body: string }).body);

test('given 3,000 waiting sent in 16 kB TLS records, when rsxcc -s runs, then each is shown once, in order, with the characters the records cut intact, and all are acknowledged', async () => {
  const n = 3000;
  const { server, acked } = await floodServer('prosody', 'split', n);
  try {
    const run = drain(server, () => {});
    const { code } = await run.done;
    assert.equal(code, 0, run.stderr());
    assert.deepEqual(bodies(run.lines), Array.from({ length: n }, (_, i) => body('split', i)));
    assert.ok(acked() >= n, `acknowledged ${acked()} of ${n}`);
  } finally {
    server.close();
  }
});

test('given 6,000 waiting, when rsxcc -s is killed -9 mid-drain, then the server has acknowledged no more than the lines written, and those are the first, in order', async () => {
  const n = 6000;
  const { server, acked } = await floodServer('ejabberd', 'kill', n);
  try {
    // A slow reader: the pipe fills and lines wait in rsxcc's memory, not yet written, when it dies.
    const run = drain(server, (_line, child) => {
      if (run.lines.length === 2000) child.kill('SIGKILL');
      else if (run.lines.length % 250 === 0) {
        child.stdout!.pause();
        setTimeout(() => child.stdout!.resume(), 30);
      }
    });
    const { signal } = await run.done;
    assert.equal(signal, 'SIGKILL', `premise: killed mid-drain, not finished (${run.lines.length} lines): ${run.stderr()}`);
    assert.ok(run.lines.length < n, `premise: killed mid-drain (${run.lines.length} lines)`);
    assert.deepEqual(bodies(run.lines), Array.from({ length: run.lines.length }, (_, i) => body('kill', i)));
    assert.ok(acked() > 0, 'premise: messages were acknowledged during the drain');
    assert.ok(acked() <= run.lines.length, `acknowledged ${acked()}, written ${run.lines.length}`);
  } finally {
    server.close();
  }
});

test('given 3,000 waiting, when the output stalls, then the inbox takes no more messages and none is acknowledged; once it is read, each is shown once, in order', async () => {
  const n = 3000;
  await withFakeServer([], { flood: flood('prosody', 'stall', n) }, async (server, login) => {
    let stalled = true;
    const held: Array<() => void> = [];
    let output = '';
    const stdout = new Writable({
      write: (chunk, _encoding, done) => {
        output += String(chunk);
        if (stalled) held.push(done);
        else done();
      },
    });
    const inbox = new Inbox(new LinePrinter(stdout, 'json'));
    const session = await login({ ...receiving(inbox), timeoutMs: 5000 });
    const caughtUp = catchUp(session, inbox, { quietMs: 0, timeoutMs: 5000, stayAvailable: false });
    for (let waited = 0; inbox.printed === 0 && waited < 5000; waited += 10) await sleep(10);
    await sleep(200);
    const taken = inbox.printed;
    await sleep(200);
    assert.equal(inbox.printed, taken, 'nothing more taken while the output is stalled');
    assert.ok(taken > 0 && taken < 500, `took ${taken} of ${n} while the first write waits`);
    assert.equal(server.connections[0]!.acked, 0, 'nothing acknowledged: no line was written');
    stalled = false;
    held.splice(0).forEach((done) => done());
    await caughtUp;
    await session.close();
    assert.deepEqual(bodies(output.trim().split('\n')), Array.from({ length: n }, (_, i) => body('stall', i)));
    assert.ok(server.connections[0]!.acked >= n, `acknowledged ${server.connections[0]!.acked} of ${n}`);
  });
});

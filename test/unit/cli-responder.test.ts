// rsxcc -R against the fake server, with real commands: a request's body is the command's standard
// input and its output the reply, in the request's thread; only allowed senders run anything; the
// time limit kills the command's whole process group; output is bounded; a request is acknowledged
// only once answered, in order, however many run at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Element } from '@xmpp/xml';
import { ExitCode, exitCodeOf, MissingCommandError } from '../../cli/errors.ts';
import type { ResponderSettings } from '../../cli/options/exchange.ts';
import { becomeAvailable, responderSession } from '../../cli/modes/respond.ts';
import { findCommand } from '../../cli/responder/command.ts';
import { Responder } from '../../cli/responder/responder.ts';
import { acks, message, until, withFakeServer, type Setup } from './exchange-fixture.ts';

const bob = 'bob@example.org';

/** An in-process responder on a session of its own to the fake server, as -R runs it. */
async function startResponder(setup: Setup, settings: Partial<ResponderSettings> & Pick<ResponderSettings, 'command'>) {
  const logs: string[] = [];
  const responder = new Responder({
    settings: { allow: new Set([bob]), concurrency: 1, timeLimitMs: 5000, ...settings },
    log: (text) => logs.push(text),
    progress: () => {},
  });
  const stop = new AbortController();
  const session = await responderSession((hooks) => setup.login(hooks), responder, stop.signal);
  await becomeAvailable(session);
  return { responder, session, logs };
}

/** The server's onMessage hook that keeps every reply the responder sends. */
function replies() {
  const seen: Element[] = [];
  return { seen, onMessage: (reply: Element) => void seen.push(reply) };
}

const sh = (script: string) => ['/bin/sh', '-c', script];

test('a request runs the command with its body on stdin; the reply goes to the full JID, in its thread and type, acknowledged only after the confirming ping', async () => {
  const got = replies();
  await withFakeServer([], got, async (setup) => {
    const { session } = await startResponder(setup, { command: sh('tr a-z A-Z') });
    setup.server.deliver(message({ from: `${bob}/desk`, to: 'alice@example.org/res', type: 'normal', id: 'q1' }, 'hello there', 'thread-1'));
    await until('the reply', () => got.seen.length === 1);
    const [reply] = got.seen;
    assert.deepEqual([reply!.attrs.to, reply!.attrs.type, reply!.getChildText('body'), reply!.getChildText('thread')], [`${bob}/desk`, 'normal', 'HELLO THERE', 'thread-1']);
    const position = setup.server.connections[0]!.counted.findIndex((text) => text.includes("id='q1'")) + 1;
    await until('an acknowledgement of the request', () => acks(setup.server).some((h) => h >= position));
    const received = setup.server.received;
    const replied = received.findIndex((text) => text.startsWith('<message'));
    const ping = received.findIndex((text, i) => i > replied && text.includes('urn:xmpp:ping'));
    const acked = received.findIndex((text) => text.startsWith('<a ') && Number(/h="(\d+)"/.exec(text)![1]) >= position);
    assert.ok(replied < ping && ping < acked, `reply ${replied}, ping ${ping}, acknowledgement ${acked}`);
    await session.close();
  });
});

test('a sender not on the allow-list never runs the command: logged, dropped and acknowledged', async () => {
  const got = replies();
  await withFakeServer([], got, async (setup) => {
    const ran = path.join(setup.dir, 'ran');
    const { session, logs } = await startResponder(setup, { command: sh(`echo "$RSXCC_FROM" >> '${ran}'; cat`) });
    setup.server.deliver(message({ from: 'mallory@example.org/m', type: 'chat', id: 'evil' }, 'rm -rf'));
    setup.server.deliver(message({ from: `${bob}/x`, type: 'headline', id: 'news' }, 'not a request'));
    setup.server.deliver(message({ from: `${bob}/x`, type: 'chat', id: 'ok' }, 'echo me'));
    await until('the reply to bob', () => got.seen.length === 1);
    assert.equal(await readFile(ran, 'utf8'), `${bob}/x\n`, 'the command ran once, for bob');
    assert.deepEqual(got.seen.map((reply) => reply.attrs.to), [`${bob}/x`], 'mallory got nothing');
    assert.deepEqual(logs, [
      'ignored a message from mallory@example.org/m: not an allowed sender (-A)',
      `ignored a headline message from ${bob}/x: requests are chat or normal messages`,
    ]);
    const counted = setup.server.connections[0]!.counted;
    await until('everything acknowledged', () => acks(setup.server).some((h) => h >= counted.findIndex((text) => text.includes("id='ok'")) + 1));
    await session.close();
  });
});

/** Whether a process runs (a zombie does not). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

test("past the time limit the command's whole process group is killed, and the reply says so", async () => {
  const got = replies();
  await withFakeServer([], got, async (setup) => {
    const pidFile = path.join(setup.dir, 'pid');
    const { session, logs } = await startResponder(setup, { command: sh(`sleep 30 & echo $! > '${pidFile}'; wait`), timeLimitMs: 300 });
    setup.server.deliver(message({ from: `${bob}/x`, type: 'chat', id: 'slow' }, 'take your time'));
    await until('the reply', () => got.seen.length === 1);
    assert.equal(got.seen[0]!.getChildText('body'), '[rsxcc: time limit of 0.3 s reached: the command was killed]');
    assert.deepEqual(logs, [`request from ${bob}/x: time limit of 0.3 s reached: the command was killed`]);
    const grandchild = Number(await readFile(pidFile, 'utf8'));
    assert.ok(grandchild > 0, 'premise: the command started a process of its own');
    await until('the background sleep to be gone too', () => !alive(grandchild), 2000);
    await session.close();
  });
});

test('output beyond what a reply carries (64 KiB as it travels in XML) is cut and said; the command runs to its end', async () => {
  const got = replies();
  await withFakeServer([], got, async (setup) => {
    const { session } = await startResponder(setup, { command: sh('head -c $(cat) /dev/zero | tr "\\0" "$(printf "\\074")"; echo done >&2') });
    setup.server.deliver(message({ from: `${bob}/x`, type: 'chat' }, '1048576'));
    await until('the reply', () => got.seen.length === 1);
    const body = got.seen[0]!.getChildText('body')!;
    const [output, note, ...more] = body.split('\n');
    // 16,384 "<" are 65,536 bytes escaped: the bound is the stanza's size at the server, not the output's.
    assert.equal(output, '<'.repeat(16_384));
    assert.equal(note, '[rsxcc: output truncated: a reply carries at most 65536 bytes of it]');
    assert.deepEqual(more, [], '1 MB read to its end: no time limit, no kill, exit 0');
    await session.close();
  });
});

test('a command that cannot be found refuses to start the responder (exit 69) before it connects', async () => {
  await withFakeServer([], {}, async ({ server, rsxcc, dir }) => {
    const notExecutable = path.join(dir, 'ca.pem');
    for (const [file, why] of [
      ['no-such-command-rsxcc', 'not found in PATH'],
      ['/nonexistent/run', 'no such executable file'],
      [notExecutable, 'no such executable file'],
      [dir, 'no such executable file'],
    ]) {
      assert.throws(() => findCommand(file!, process.env.PATH), (error: Error) => error instanceof MissingCommandError && error.message === `cannot run ${JSON.stringify(file)}: ${why}`);
    }
    assert.equal(exitCodeOf(new MissingCommandError('x')), ExitCode.unavailable);
    const result = await rsxcc(['-R', '-A', bob, '--', 'no-such-command-rsxcc', '-x']);
    assert.equal(result.exitCode, 69);
    assert.equal(result.stderr, 'rsxcc: cannot run "no-such-command-rsxcc": not found in PATH');
    assert.equal(server.connections.length, 0, 'refused before connecting');
  });
});

test('a command that fails to start for a request gets an error reply, and the responder goes on', async () => {
  const got = replies();
  await withFakeServer([], got, async (setup) => {
    const script = path.join(setup.dir, 'broken');
    await writeFile(script, '#!/nonexistent/interpreter\n');
    await chmod(script, 0o755);
    const { session } = await startResponder(setup, { command: [script] });
    setup.server.deliver(message({ from: `${bob}/x`, type: 'chat' }, 'one'));
    setup.server.deliver(message({ from: `${bob}/x`, type: 'chat' }, 'two'));
    await until('both replies', () => got.seen.length === 2);
    for (const reply of got.seen) assert.match(reply.getChildText('body')!, /^\[rsxcc: cannot run the command: spawn .*broken ENOENT\]$/);
    await session.close();
  });
});

test('a responder killed mid-request has acknowledged nothing that covers the request (the server keeps it)', async () => {
  await withFakeServer(['the request'], {}, async ({ server, rsxcc, dir }) => {
    const started = path.join(dir, 'started');
    const child = rsxcc(['-R', '-A', bob, '--', '/bin/sh', '-c', `echo $$ > '${started}'; sleep 30`]);
    try {
      await until('the command to start', () => existsSync(started) && readFileSync(started, 'utf8').endsWith('\n'), 10_000);
      child.kill('SIGKILL');
    } finally {
      // The command leads a group of its own, which outlives a SIGKILLed rsxcc (rsxcc(1) says so),
      // holding the stderr it shares with rsxcc open.
      const group = existsSync(started) ? Number(readFileSync(started, 'utf8')) : 0;
      if (group > 0) process.kill(-group, 'SIGKILL');
    }
    assert.equal((await child).signal, 'SIGKILL');
    const position = server.connections[0]!.counted.findIndex((text) => text.includes('<body>the request</body>')) + 1;
    assert.ok(position > 0, 'premise: the request was delivered');
    assert.ok(server.received.some((text) => text.startsWith('<enable ')), 'premise: with stream management, which would acknowledge it');
    assert.ok(acks(server).every((h) => h < position), `acknowledged ${acks(server).join(', ')}: the request is stanza ${position}`);
  });
});

test('with -C 2 at most two commands run at once; a request that finishes early is acknowledged only with those before it', async () => {
  const got = replies();
  const durations = ['0.5', '0.1', '0.2', '0.3'];
  await withFakeServer(durations, got, async (setup) => {
    const log = path.join(setup.dir, 'log');
    const { session } = await startResponder(setup, { command: sh(`read d; echo + >> '${log}'; sleep $d; echo - >> '${log}'; echo "slept $d"`), concurrency: 2 });
    await until('four replies', () => got.seen.length === 4, 5000);
    let running = 0;
    const most = (await readFile(log, 'utf8')).split('\n').filter(Boolean).reduce((max, mark) => Math.max(max, (running += mark === '+' ? 1 : -1)), 0);
    assert.equal(most, 2);
    const order = got.seen.map((reply) => reply.getChildText('body'));
    assert.ok(order.indexOf('slept 0.1') < order.indexOf('slept 0.5'), `premise: a later request was answered first (${order.join(', ')})`);
    const { received } = setup.server;
    const counted = setup.server.connections[0]!.counted;
    const lastRequest = counted.filter((text) => text.startsWith('<message')).at(-1)!;
    await until('everything acknowledged', () => Math.max(0, ...acks(setup.server)) > counted.indexOf(lastRequest));
    for (const [at, text] of received.entries()) {
      if (!text.startsWith('<a ')) continue;
      const covered = counted.slice(0, Number(/h="(\d+)"/.exec(text)![1])).flatMap((stanza) => /<body>([\d.]+)<\/body>/.exec(stanza)?.[1] ?? []);
      for (const d of covered) assert.ok(received.slice(0, at).some((sent) => sent.includes(`slept ${d}`)), `${text} covers the ${d} s request before its reply`);
    }
    await session.close();
  });
});

// rsxcc request and reply (-q) and the responder (-R), issue 14, on the real lab, requester and
// responder on the same server, for each server: a request answered, two in flight each matched
// to its own reply, a responder killed mid-request answers the request after its restart, and a
// sender who is not allowed never runs the command; then a request across federation each way.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { account, drain, lines, listener, run, send, servers, skip, start, tag, type LabServer } from './rsxcc-lab.ts';

if (skip) test('rsxcc request and responder on the lab', { skip }, () => {});

/** bob's responder for `allowed`, running `command`; resolves once it is available. */
async function responder(server: LabServer, allowed: string, command: string[], more: string[] = []) {
  const agent = listener([...account(server, 'bob'), '-v', ...more, '-R', '-A', server.jid(allowed), '--', ...command]);
  await agent.untilStderr(/waiting for messages/, 15_000);
  return agent;
}

async function stop(agent: ReturnType<typeof listener>): Promise<void> {
  agent.child.kill('SIGTERM');
  const result = await agent.child;
  assert.equal(result.exitCode, 0, agent.stderr());
}

const ask = (server: LabServer, body: string, more: string[] = []) => [...account(server, 'alice'), '-q', '-o', 'json', ...more, '-t', server.jid('bob'), '-m', body];

for (const server of servers) {
  describe(`rsxcc -q and -R on ${server.name} (${server.connect})`, () => {
    test('a request is answered by the responder: the reply printed in its thread, exit 0, nothing left stored, the requester\'s own mail kept', async () => {
      await Promise.all([drain(server, 'alice'), drain(server, 'bob')]);
      const waiting = tag('mail-for-alice');
      await send(server, 'carol', 'alice', waiting);
      const agent = await responder(server, 'alice', ['tr', 'a-z', 'A-Z']);
      try {
        const body = tag('question');
        const asked = await run(ask(server, body, ['-d']));
        assert.equal(asked.exitCode, 0, asked.stderr);
        const [reply, ...more] = lines(asked.stdout);
        assert.deepEqual(more, []);
        assert.equal(reply!.body, body.toUpperCase());
        assert.equal(reply!.from.split('/')[0], server.jid('bob'));
        const trace = asked.stderr.split('\n');
        const thread = /<thread>([^<]+)<\/thread>/.exec(trace.find((line) => line.includes('>> <message')) ?? '')?.[1];
        assert.ok(thread, 'premise: the request carried a thread');
        assert.ok(trace.find((line) => line.includes('<< <message'))?.includes(`<thread>${thread}</thread>`), 'the reply carries the request\'s thread');
        assert.doesNotMatch(asked.stderr, />> <presence/, 'no presence from the requester');
      } finally {
        await stop(agent);
      }
      assert.deepEqual((await drain(server, 'alice')).map((m) => m.body), [waiting], 'the requester\'s offline message stayed stored, and no reply was stored');
      assert.deepEqual(await drain(server, 'bob'), [], 'the request was acknowledged once answered');
    });

    test('two requests in flight from two rsxcc processes of the same account each get their own reply', async () => {
      await Promise.all([drain(server, 'alice'), drain(server, 'bob')]);
      const agent = await responder(server, 'alice', ['sh', '-c', 'sleep 1; cat'], ['-C', '2']);
      try {
        const bodies = [tag('first'), tag('second')];
        const results = await Promise.all(bodies.map((body) => run(ask(server, body))));
        for (const [i, result] of results.entries()) {
          assert.equal(result.exitCode, 0, result.stderr);
          assert.deepEqual(lines(result.stdout).map((m) => m.body), [bodies[i]]);
        }
        assert.notEqual(lines(results[0]!.stdout)[0]!.to, lines(results[1]!.stdout)[0]!.to, 'premise: two resources of alice');
      } finally {
        await stop(agent);
      }
      assert.deepEqual(await drain(server, 'alice'), []);
    });

    test('a responder killed mid-request gets the request again at its next start and answers it', async () => {
      await Promise.all([drain(server, 'alice'), drain(server, 'bob')]);
      const dir = mkdtempSync(path.join(tmpdir(), 'rsxcc-responder-'));
      const flag = path.join(dir, 'flag');
      const pid = path.join(dir, 'pid');
      // The first run of the command hangs (and is killed with its responder); the second answers.
      const command = ['sh', '-c', `if [ -e '${flag}' ]; then cat; else touch '${flag}'; echo $$ > '${pid}'; sleep 60; fi`];
      try {
        const first = await responder(server, 'alice', command);
        const body = tag('survives');
        const asking = start(ask(server, body, ['-r', '60']));
        await first.untilStderr(/running the command/, 10_000);
        for (let waited = 0; !existsSync(pid) && waited < 5000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
        first.child.kill('SIGKILL');
        // The command leads a process group of its own, which outlives its responder (and holds
        // the stderr they share open).
        process.kill(-Number(readFileSync(pid, 'utf8')), 'SIGKILL');
        await first.child;
        const second = await responder(server, 'alice', command);
        try {
          const asked = await asking;
          assert.equal(asked.exitCode, 0, String(asked.stderr));
          assert.deepEqual(lines(String(asked.stdout)).map((m) => m.body), [body]);
          assert.match(second.stderr(), /answered, the server confirmed the reply/);
        } finally {
          await stop(second);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      assert.deepEqual(await drain(server, 'bob'), [], 'answered once restarted, and acknowledged');
    });

    test('a sender not on the allow-list never runs the command; its request is delivered but not answered (75)', async () => {
      await Promise.all([drain(server, 'alice'), drain(server, 'bob')]);
      const dir = mkdtempSync(path.join(tmpdir(), 'rsxcc-responder-'));
      const marker = path.join(dir, 'ran');
      const agent = await responder(server, 'carol', ['sh', '-c', `touch '${marker}'; cat`]);
      try {
        const asked = await run(ask(server, tag('let me in'), ['-r', '3']));
        assert.equal(asked.exitCode, 75, asked.stderr);
        assert.match(asked.stderr, /no reply from .* within 3 s \(the server confirmed the request\)/);
        await agent.untilStderr(new RegExp(`ignored a message from ${server.jid('alice').replace(/\./g, '\\.')}/\\S+: not an allowed sender`), 5000);
        assert.equal(existsSync(marker), false, 'the command never ran');
      } finally {
        await stop(agent);
        rmSync(dir, { recursive: true, force: true });
      }
      assert.deepEqual(await drain(server, 'bob'), [], 'the refused message was consumed, not left to run later');
    });
  });
}

// Across federation: the requester on one domain, the responder on the other. The request is
// confirmed by the responder's server (a ping to its domain behind it), the reply comes back over
// the other s2s stream to the requester's full JID.
for (const server of servers.length < 2 ? [] : servers) {
  const other = servers.find((s) => s !== server)!;
  test(`across federation: alice@${server.domain} asks bob@${other.domain}'s responder; the reply comes back to it, exit 0`, async () => {
    await drain(other, 'bob');
    const agent = listener([...account(other, 'bob'), '-v', '-R', '-A', server.jid('alice'), '--', 'tr', 'a-z', 'A-Z']);
    await agent.untilStderr(/waiting for messages/, 15_000);
    try {
      const body = tag('federated question');
      const asked = await run([...account(server, 'alice'), '-q', '-o', 'json', '-T', '15', '-t', other.jid('bob'), '-m', body]);
      assert.equal(asked.exitCode, 0, asked.stderr);
      const replies = lines(asked.stdout);
      assert.deepEqual(replies.map((m) => [m.from.split('/')[0], m.body]), [[other.jid('bob'), body.toUpperCase()]]);
    } finally {
      await stop(agent);
    }
    assert.deepEqual(await drain(other, 'bob'), [], 'answered, and acknowledged');
  });
}

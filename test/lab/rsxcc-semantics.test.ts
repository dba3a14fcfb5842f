// rsxcc semantics 1-3 (issue 4) on the real lab, on Prosody and on ejabberd behind HAProxy:
// a send succeeds only once the server has the message, unread shows each message once and stops
// promptly, and nothing is ever lost, whatever moment rsxcc dies at.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { account, drain, lines, run, send, servers, skip, start, tag } from './rsxcc-lab.ts';

if (skip) test('rsxcc semantics on the lab', { skip }, () => {});

for (const server of servers) {
  describe(`rsxcc on ${server.name} (${server.connect})`, () => {
    test('1. send: exit 0 after the server confirmed; the recipient finds the message at once', async () => {
      await drain(server, 'bob');
      const body = tag('confirmed');
      const sent = await run([...account(server, 'alice'), '-d', '-t', server.jid('bob'), '-m', body]);
      assert.equal(sent.exitCode, 0, sent.stderr);
      assert.equal(sent.stdout, '', 'send mode prints no results');
      // The -d trace shows the confirmation: the ping IQ sent after the message, and its result.
      const trace = sent.stderr;
      const message = trace.indexOf('>> <message');
      const pingId = /<iq type="get" to="[^"]+" id="([^"]+)"><ping/.exec(trace.slice(message))?.[1];
      assert.ok(message >= 0 && pingId, trace);
      assert.match(trace.slice(message), new RegExp(`<< <iq[^>]*id="${pingId}"`));
      // No sleep: the message is stored by the time rsxcc exited.
      const unread = await drain(server, 'bob');
      assert.deepEqual(unread.map((m) => m.body), [body]);
      assert.equal(unread[0]!.from.split('/')[0], server.jid('alice'));
    });

    test('1. send: several recipients; an error stanza for one of them exits 69 and names it', async () => {
      await drain(server, 'bob');
      const body = tag('partly');
      const result = await run([...account(server, 'alice'), '-t', server.jid('bob'), '-t', `nosuchuser@${server.domain}`, '-m', body]);
      assert.equal(result.exitCode, 69);
      assert.equal(result.stderr, `rsxcc: nosuchuser@${server.domain}: service-unavailable\n`);
      assert.deepEqual((await drain(server, 'bob')).map((m) => m.body), [body], 'the good recipient still got it');
    });

    test('1. send mode sends no presence: the sender keeps its own offline messages', async () => {
      await drain(server, 'alice');
      const waiting = tag('for-alice');
      await send(server, 'carol', 'alice', waiting);
      const sent = await run([...account(server, 'alice'), '-d', '-t', server.jid('bob'), '-m', tag('while-alice-has-mail')]);
      assert.equal(sent.exitCode, 0, sent.stderr);
      assert.doesNotMatch(sent.stderr, />> <presence/);
      assert.deepEqual((await drain(server, 'alice')).map((m) => m.body), [waiting]);
      await drain(server, 'bob');
    });

    test('2. unread: each message exactly once, in order, then promptly nothing; no sentinel', async () => {
      await drain(server, 'bob');
      const bodies = [tag('one'), `${tag('two')}\nsecond line`, tag('three')];
      for (const body of bodies) await send(server, 'alice', 'bob', body);
      const first = await run([...account(server, 'bob'), '-s', '-o', 'json', '-d']);
      assert.equal(first.exitCode, 0, first.stderr);
      const shown = lines(first.stdout);
      assert.deepEqual(shown.map((m) => m.body), bodies);
      for (const message of shown) {
        assert.equal(message.delayed, true);
        assert.match(message.stamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        assert.ok(Math.abs(Date.parse(message.stamp) - Date.now()) < 120_000, message.stamp);
        assert.equal(message.to, server.jid('bob'));
      }
      assert.doesNotMatch(first.stderr, />> <message/, 'no sentinel message');
      assert.ok(first.ms < 3000, `took ${first.ms} ms: the end marker, not a sleep, must end it`);
      const second = await run([...account(server, 'bob'), '-s', '-o', 'json']);
      assert.equal(second.exitCode, 0, second.stderr);
      assert.equal(second.stdout, '');
      assert.ok(second.ms < 3000, `an empty run took ${second.ms} ms`);
    });

    test('2. unread text output is readable: time, sender, body, continuation lines indented', async () => {
      await drain(server, 'bob');
      const first = tag('text');
      await send(server, 'alice', 'bob', `${first}\nline two`);
      const result = await run([...account(server, 'bob'), '-s']);
      assert.equal(result.exitCode, 0, result.stderr);
      const alice = server.jid('alice').replace(/\./g, '\\.');
      assert.match(result.stdout, new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ ${alice}/\\S+: ${first}\\n    line two\\n$`));
    });

    test('3. nothing lost: a reader whose output fails acknowledges nothing; all is there next time', async () => {
      await drain(server, 'bob');
      const bodies = Array.from({ length: 5 }, (_, i) => tag(`kept-${i}`));
      for (const body of bodies) await send(server, 'alice', 'bob', body);
      // stdout is a pipe whose reader is gone: the first write fails with EPIPE.
      const broken = start([...account(server, 'bob'), '-s', '-o', 'json'], {});
      broken.stdout?.destroy();
      const result = await broken;
      assert.notEqual(result.exitCode, 0);
      assert.deepEqual((await drain(server, 'bob')).map((m) => m.body), bodies);
    });

    test('3. nothing lost: kill -9 at any moment of a run; the next run shows what was not printed', async () => {
      await drain(server, 'bob');
      const bodies = Array.from({ length: 20 }, (_, i) => tag(`k${i}`));
      for (const body of bodies) await send(server, 'alice', 'bob', body);
      const printed: string[] = [];
      for (const delay of [0, 40, 80, 120, 160, 200, 260, 350]) {
        const child = start([...account(server, 'bob'), '-s', '-o', 'json']);
        let out = '';
        child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
        await new Promise((resolve) => setTimeout(resolve, delay));
        child.kill('SIGKILL');
        await child;
        // A line cut in half by the kill was not printed.
        printed.push(...out.split('\n').slice(0, -1).map((line) => (JSON.parse(line) as { body: string }).body));
      }
      printed.push(...(await drain(server, 'bob')).map((m) => m.body));
      for (const body of bodies) assert.ok(printed.includes(body), `${body} was lost`);
      assert.deepEqual((await drain(server, 'bob')).map((m) => m.body), [], 'once printed by a run that finished, gone for good');
    });
  });
}

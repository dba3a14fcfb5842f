// rsxcc semantic 4 (issue 4) on the real lab: continuous mode prints the backlog, then live
// messages, survives its server being killed and started again (saying so on stderr), shows each
// message once, and ends cleanly with exit 0 on SIGTERM or SIGINT.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { account, drain, labCommand, listener, send, servers, skip, tag } from './rsxcc-lab.ts';

if (skip) test('rsxcc continuous mode on the lab', { skip }, () => {});

for (const server of servers) {
  describe(`rsxcc -c on ${server.name} (${server.connect})`, () => {
    test('4. backlog, live messages, SIGINT: exit 0 and everything printed is acknowledged', async () => {
      await drain(server, 'carol');
      const backlog = tag('backlog');
      await send(server, 'alice', 'carol', backlog);
      const listen = listener([...account(server, 'carol'), '-c', '-o', 'json', '-v']);
      await listen.untilBody(backlog);
      await listen.untilStderr(/waiting for messages/, 10_000);
      const live = tag('live');
      await send(server, 'alice', 'carol', live);
      await listen.untilBody(live, 5000);
      listen.child.kill('SIGINT');
      const result = await listen.child;
      assert.equal(result.exitCode, 0, listen.stderr());
      assert.deepEqual(listen.bodies(), [backlog, live]);
      assert.deepEqual(await drain(server, 'carol'), [], 'nothing printed comes back');
    });

    test('4. survives the server going away: reconnects with back-off, says so, no duplicates', async () => {
      await drain(server, 'carol');
      const listen = listener([...account(server, 'carol'), '-c', '-o', 'json', '-v', '-T', '5']);
      await listen.untilStderr(/waiting for messages/, 10_000);
      const before = tag('before-outage');
      await send(server, 'alice', 'carol', before);
      await listen.untilBody(before, 5000);

      await labCommand('kill', server.host);
      await listen.untilStderr(/connection lost .*; reconnecting in \d+\.\d s/, 20_000);
      await labCommand('start', server.host);
      await listen.untilStderr(/reconnected as /, 90_000);

      const after = tag('after-outage');
      await send(server, 'alice', 'carol', after);
      await listen.untilBody(after, 10_000);
      listen.child.kill('SIGTERM');
      const result = await listen.child;
      assert.equal(result.exitCode, 0, listen.stderr());
      // "before" was acknowledged right after it was printed, long before the outage: it must
      // not come back. (Only a message printed in the instant before the cut can, see rsxcc(1).)
      assert.deepEqual(listen.bodies(), [before, after]);
      assert.deepEqual(await drain(server, 'carol'), []);
    });
  });
}

// rsxcc and rooms (issue 13) on the real lab, and confirmation across federation. Assumes each
// domain has a persistent members-only room lab@conference.DOMAIN with alice, bob and carol of
// both domains as members (owner alice@DOMAIN), and server-to-server links between the domains.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { account, listener, run, servers, skip, tag, type LabServer } from './rsxcc-lab.ts';

if (skip || servers.length < 2) test('rsxcc rooms on the lab', { skip: skip || 'needs two domains' }, () => {});

const room = (server: LabServer) => `lab@conference.${server.domain}`;

/** bob following `server`'s room with `-c -g`, once he is in it. */
async function bobFollows(server: LabServer, target: LabServer) {
  const follow = listener([...account(server, 'bob'), '-c', '-o', 'json', '-v', '-g', `${room(target)}/bob-${server.name}`]);
  await follow.untilStderr(/waiting for messages/, 15_000);
  return follow;
}

for (const server of servers.length < 2 ? [] : servers) {
  const other = servers.find((s) => s !== server)!;
  describe(`rsxcc rooms on ${server.name} (${server.connect})`, () => {
    test('a message to the room: exit 0 once relayed; a follower prints it with room and nick', async () => {
      const follow = await bobFollows(server, server);
      const body = tag('to-room');
      const sent = await run([...account(server, 'alice'), '-d', '-g', `${room(server)}/alice`, '-m', body]);
      assert.equal(sent.exitCode, 0, sent.stderr);
      assert.match(sent.stderr, /<< <message [^>]*type="groupchat"/, 'the relay came back before the exit');
      assert.doesNotMatch(sent.stderr, />> <presence(?! [^>]*to=)/, 'no undirected presence');
      await follow.untilBody(body);
      follow.child.kill('SIGTERM');
      assert.equal((await follow.child).exitCode, 0, follow.stderr());
      const line = follow.messages().find((m) => m.body === body)!;
      assert.deepEqual([line.type, line.room, line.nick], ['groupchat', room(server), 'alice']);
    });

    test('no such room: 69, and it was not created (a second try is 69 too)', async () => {
      const missing = `nosuchroom-${tag('r').toLowerCase()}@conference.${server.domain}/alice`;
      for (let attempt = 0; attempt < 2; attempt++) {
        const result = await run([...account(server, 'alice'), '-g', missing, '-m', 'x', '-T', '5']);
        assert.equal(result.exitCode, 69, result.stderr);
        assert.match(result.stderr, /^rsxcc: nosuchroom-[^:]+: no such room \(item-not-found(: [^)\n]+)?\)\n$/);
      }
    });

    test('a nick someone else holds in the room: 65', async () => {
      const follow = await bobFollows(server, server);
      const result = await run([...account(server, 'carol'), '-g', `${room(server)}/bob-${server.name}`, '-m', 'x', '-T', '5']);
      follow.child.kill('SIGTERM');
      await follow.child;
      assert.equal(result.exitCode, 65, result.stderr);
      assert.match(result.stderr, /^rsxcc: lab@conference\.[^:]+: nick in use in the room by someone else \(conflict(: [^)\n]+)?\)\n$/);
    });

    test(`across federation to ${other.name}: its room and its user, exit 0 once that domain answered; an unknown user there, 69 (its bounce comes before the answer)`, async () => {
      const follow = await bobFollows(server, other);
      const body = tag('federated');
      const sent = await run([...account(server, 'alice'), '-d', '-t', other.jid('carol'), '-g', `${room(other)}/alice-${server.name}`, '-m', body, '-T', '15']);
      assert.equal(sent.exitCode, 0, sent.stderr);
      assert.match(sent.stderr, new RegExp(`>> <iq type="get" to="${other.domain}" id="[^"]+"><ping`), 'the remote domain was pinged');
      await follow.untilBody(body);
      follow.child.kill('SIGTERM');
      await follow.child;
      const unknown = await run([...account(server, 'alice'), '-t', `nosuchuser@${other.domain}`, '-m', 'x', '-T', '15']);
      assert.equal(unknown.exitCode, 69, unknown.stderr);
      assert.equal(unknown.stderr, `rsxcc: nosuchuser@${other.domain}: service-unavailable\n`);
      await run([...account(other, 'carol'), '-s']);
    });
  });
}

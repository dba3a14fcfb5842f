// Group chat as the lab's users see it (issue 13): a room message confirmed by its relay reaches a
// member on the other cluster node and one on the other domain; a follower comes back into the room
// when the ejabberd node holding the room dies (the room itself restarts from SQL on another node)
// and when Prosody restarts. Members are the lab's own alice, bob and carol of both domains.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { account, listener, run, servers, skip, tag, type LabServer } from './rsxcc-lab.ts';
import { labStatus } from './fixture.ts';
import { clusterWhole, fault, restoreLab, waitFor } from './proof-lib.ts';

const ejabberd = servers.find((s) => s.name === 'ejabberd');
const prosody = servers.find((s) => s.name === 'prosody');
if (skip || !ejabberd || !prosody) test('rooms across nodes and domains', { skip: skip || 'needs both servers' }, () => {});

const room = (server: LabServer) => `lab@conference.${server.domain}`;
/** A follower of `target`'s room, logged in at `server` (optionally a given address), once it is in. */
async function follows(server: LabServer, user: string, target: LabServer, at?: string, timeoutMs = 60_000) {
  const follow = listener([...account(server, user), ...(at ? ['-x', at] : []), '-c', '-o', 'json', '-v', '-g', `${room(target)}/${user}-${server.name}`], timeoutMs);
  await follow.untilStderr(/waiting for messages/, 20_000);
  return follow;
}
async function stop(follow: Awaited<ReturnType<typeof follows>>) {
  follow.child.kill('SIGTERM');
  const result = await follow.child;
  assert.equal(result.exitCode, 0, follow.stderr());
}
const say = (server: LabServer, user: string, target: LabServer, body: string, at?: string) =>
  run([...account(server, user), ...(at ? ['-x', at] : []), '-T', '15', '-g', `${room(target)}/${user}-${server.name}`, '-m', body]);

if (ejabberd && prosody && !skip) {
  describe('rooms across nodes and domains', () => {
    test('given bob on ejabberd node 2 and carol@prosody in the ejabberd room, when alice says something through node 1, then exit 0 once relayed and each prints it once', async () => {
      const status = await labStatus();
      const [node1, node2] = status.ejabberd.map((n) => `${n.address}:${status.ports.c2s}`);
      const bob = await follows(ejabberd, 'bob', ejabberd, node2);
      const carol = await follows(prosody, 'carol', ejabberd);
      const body = tag('across-nodes');
      const sent = await say(ejabberd, 'alice', ejabberd, body, node1);
      assert.equal(sent.exitCode, 0, sent.stderr);
      await Promise.all([bob.untilBody(body), carol.untilBody(body)]);
      await Promise.all([stop(bob), stop(carol)]);
      for (const follower of [bob, carol]) assert.equal(follower.bodies().filter((b) => b === body).length, 1, follower.stdout());
    });

    test('given bob@ejabberd and carol@prosody in the Prosody room, when alice@prosody says something, then exit 0 once relayed and each prints it once, with room and nick', async () => {
      const bob = await follows(ejabberd, 'bob', prosody);
      const carol = await follows(prosody, 'carol', prosody);
      const body = tag('across-domains');
      const sent = await say(prosody, 'alice', prosody, body);
      assert.equal(sent.exitCode, 0, sent.stderr);
      await Promise.all([bob.untilBody(body), carol.untilBody(body)]);
      await Promise.all([stop(bob), stop(carol)]);
      for (const follower of [bob, carol]) {
        const lines = follower.messages().filter((m) => m.body === body);
        assert.deepEqual(lines.map((m) => [m.room, m.nick]), [[room(prosody), 'alice-prosody']], follower.stdout());
      }
    });

    test('given bob following the ejabberd room, when each node in turn is killed and started again, then he is back in the room after each kill and prints everything said meanwhile once', { timeout: 420_000 }, async (t) => {
      const status = await labStatus();
      const bob = await follows(ejabberd, 'bob', ejabberd, undefined, 400_000);
      const said: string[] = [];
      try {
        for (const node of status.ejabberd) {
          await fault('kill', node.host);
          try {
            // Through HAProxy, which takes the dead node out within seconds; the room, if it lived
            // there, starts again from SQL on the node that gets this message.
            const body = tag(`after-${node.host}`);
            await waitFor(`a message to the room with ${node.host} down`, async () => (await say(ejabberd, 'alice', ejabberd, body)).exitCode === 0, 30_000, 1_000);
            said.push(body);
            // A room lost while bob's connection stays up is noticed by his self-ping (every 30 s).
            await bob.untilBody(body, 75_000);
          } finally {
            await fault('start', node.host);
          }
          await waitFor('the cluster whole again', clusterWhole, 90_000, 1_000);
        }
      } finally {
        await stop(bob);
      }
      const notices = bob.stderr().split('\n').filter((l) => /connection lost|no longer in|rejoin/i.test(l));
      t.diagnostic(`notices: ${notices.join(' | ')}`);
      // Two nodes, killed in turn: the one holding the room is among them, and so is bob's.
      assert.ok(notices.length >= 1, `premise: bob lost the room or his connection at least once: ${bob.stderr()}`);
      for (const body of said) assert.equal(bob.bodies().filter((b) => b === body).length, 1, body);
    });

    test("given the ejabberd room on node 1 and bob in it through node 2, when node 1 is killed, then his connection stays, his self-ping finds him out of the restarted room, and he rejoins and prints what is said after", { timeout: 300_000 }, async () => {
      const status = await labStatus();
      const [node1, node2] = status.ejabberd;
      const at2 = `${node2!.address}:${status.ports.c2s}`;
      // Put the room on node 1: with node 2 down, the only node left must run it.
      await fault('kill', node2!.host);
      try {
        await waitFor('a message to the room with node 2 down', async () => (await say(ejabberd, 'alice', ejabberd, tag('place'))).exitCode === 0, 30_000, 1_000);
      } finally {
        await fault('start', node2!.host);
      }
      await waitFor('the cluster whole again', clusterWhole, 90_000, 1_000);
      const bob = await follows(ejabberd, 'bob', ejabberd, at2, 280_000);
      try {
        const before = tag('before');
        assert.equal((await say(ejabberd, 'alice', ejabberd, before, at2)).exitCode, 0);
        await bob.untilBody(before);
        await fault('kill', node1!.host);
        const after = tag('after-room-died');
        try {
          await waitFor('a message to the room, restarted on node 2', async () => (await say(ejabberd, 'alice', ejabberd, after, at2)).exitCode === 0, 30_000, 1_000);
          await bob.untilStderr(/no longer in the room; rejoining/, 60_000);
          await bob.untilBody(after, 30_000);
        } finally {
          await fault('start', node1!.host);
        }
        await waitFor('the cluster whole again', clusterWhole, 90_000, 1_000);
      } finally {
        await stop(bob);
      }
      assert.doesNotMatch(bob.stderr(), /connection lost/, 'premise: his connection (on node 2) outlived the kill');
      assert.equal(bob.bodies().filter((b) => b.startsWith('after-room-died')).length, 1, 'printed once, after the rejoin');
    });

    test('given bob following the Prosody room, when Prosody is powered off and started, then he is back in the room and prints what is said after', { timeout: 180_000 }, async () => {
      const bob = await follows(prosody, 'bob', prosody, undefined, 170_000);
      try {
        await fault('kill', prosody.host);
        await fault('start', prosody.host);
        await bob.untilStderr(/reconnected/, 60_000);
        const body = tag('after-restart');
        const sent = await say(prosody, 'alice', prosody, body);
        assert.equal(sent.exitCode, 0, sent.stderr);
        await bob.untilBody(body, 20_000);
      } finally {
        await stop(bob);
        await restoreLab();
      }
    });
  });
}

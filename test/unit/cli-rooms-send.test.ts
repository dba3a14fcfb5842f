// rsxcc -g against a fake room behind the fake server: a send succeeds only once the room has
// relayed the message back; each refusal ends the run with its documented exit status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FakeServer, Route } from './fake-xmpp-server.ts';
import { FakeRoom, routes, type RoomBehaviour } from './fake-muc.ts';
import { sendWith } from './rsxcc-run.ts';

const LAB = 'lab@conference.example.org';

/** What alice sent the room, in order: names and types only. */
const toRoom = (server: FakeServer) => server.received.filter((xml) => xml.includes(`to="${LAB}`)).map((xml) => /^<(\w+)(?:[^>]*type="(\w+)")?/.exec(xml)!.slice(1).filter(Boolean).join(' '));

async function refused(behaviour: RoomBehaviour, status: number, message: RegExp, env?: Record<string, string>) {
  const room = new FakeRoom(LAB, behaviour);
  await sendWith(
    room.route,
    ['-g', `${LAB}/alice`, '-m', 'hello', '-T', '1'],
    ({ status: got, error }) => {
      assert.equal(got, status, String(error));
      assert.match(error!.message, message);
    },
    env,
  );
}

test('given a room that relays our message, when alice sends to it, then she asked disco#info, joined without history, said it once, left, and exits 0', async () => {
  const room = new FakeRoom(LAB);
  await sendWith(room.route, ['-g', `${LAB}/alice`, '-m', 'hello room'], ({ status, error, server, progress }) => {
    assert.equal(status, 0, String(error));
    assert.deepEqual(toRoom(server), ['iq get', 'presence', 'message groupchat', 'presence unavailable']);
    const join = room.joins[0]!;
    assert.equal(join.getChild('x', 'http://jabber.org/protocol/muc')?.getChild('history')?.attrs.maxstanzas, '0');
    const message = server.received.find((xml) => xml.startsWith('<message'))!;
    const id = /id="([^"]+)"/.exec(message)![1];
    assert.match(message, new RegExp(`<origin-id xmlns="urn:xmpp:sid:0" id="${id}"/>`), 'the origin-id carries the message id');
    assert.ok(progress.includes(`${LAB} relayed the message`));
    assert.ok(!server.received.some((xml) => /^<presence(?![^>]*to=)/.test(xml)), 'no undirected presence: our offline messages stay stored');
  });
});

test('given a room that relays under an id of its own, when alice sends, then the origin-id matches it and she exits 0', async () => {
  const room = new FakeRoom(LAB, { relay: 'new-id', rewriteNick: 'alice (2)' });
  await sendWith(room.route, ['-g', `${LAB}/alice`, '-m', 'renamed'], ({ status, error, server }) => {
    assert.equal(status, 0, String(error));
    const sentId = /<message[^>]* id="([^"]+)"/.exec(server.received.find((xml) => xml.startsWith('<message'))!)![1];
    const relayed = room.sent[0]!;
    assert.doesNotMatch(relayed, new RegExp(`<message[^>]* id='${sentId}'`), 'premise: the room changed the id');
    assert.match(relayed, new RegExp(`<origin-id xmlns='urn:xmpp:sid:0' id='${sentId}'/>`));
    assert.ok(server.received.some((xml) => xml.includes(`to="${LAB}/alice (2)" type="unavailable"`)), 'she leaves under the nick the room gave her');
  });
});

test('given a room that never relays, when alice sends, then she exits 75 within -T, saying the room did not relay it', async () => {
  await refused({ relay: 'never' }, 75, /timed out after 1 s waiting for lab@conference\.example\.org to relay our message/);
});

test('given a members-only room alice is not a member of, when she sends, then 77 "not a member"', async () => {
  await refused({ refuseJoin: 'registration-required' }, 77, /^lab@conference\.example\.org: not a member of the room \(registration-required\)$/);
});

test('given a room that banned alice, when she sends, then 77 "banned"', async () => {
  await refused({ refuseJoin: 'forbidden' }, 77, /banned from the room \(forbidden\)/);
});

test('given a room where alice may not speak, when she sends, then 77 "not allowed to speak"', async () => {
  await refused({ refuseMessage: 'forbidden' }, 77, /not allowed to speak in the room \(forbidden\)/);
});

test('given a room where someone else has her nick, when alice sends, then 65 "nick in use"', async () => {
  await refused({ refuseJoin: 'conflict' }, 65, /nick in use in the room by someone else \(conflict\)/);
});

test('given a password-protected room, when alice gives no password, then 77 before any join; a wrong one is refused 77; the right one is sent and works', async () => {
  const room = new FakeRoom(LAB, { password: 'sesame' });
  await sendWith(room.route, ['-g', `${LAB}/alice`, '-m', 'x'], ({ status, error }) => {
    assert.equal(status, 77);
    assert.match(error!.message, /password-protected: give its password with -G FILE, XMPP_ROOM_PASSWORD or the config file/);
    assert.equal(room.joins.length, 0, 'no join without a password');
  });
  await refused({ password: 'sesame' }, 77, /wrong or missing room password \(not-authorized\)/, { XMPP_ROOM_PASSWORD: 'wrong' });
  await sendWith(room.route, ['-g', `${LAB}/alice`, '-m', 'x'], ({ status, error }) => assert.equal(status, 0, String(error)), { XMPP_ROOM_PASSWORD: 'sesame' });
  assert.equal(room.joins.at(-1)!.getChild('x')?.getChildText('password'), 'sesame');
});

test('given no such room, when alice sends to it, then 69 "no such room" and no presence went to it (nothing created)', async () => {
  const room = new FakeRoom(LAB);
  const noRoom: Route = (stanza, send) => {
    if (!String(stanza.attrs.to).startsWith('nosuch@')) return false;
    send(`<iq type='error' id='${stanza.attrs.id}' from='nosuch@conference.example.org'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`);
    return true;
  };
  await sendWith(routes(room.route, noRoom), ['-g', 'nosuch@conference.example.org/alice', '-m', 'x'], ({ status, error, server }) => {
    assert.equal(status, 69);
    assert.equal(error!.message, 'nosuch@conference.example.org: no such room (item-not-found)');
    assert.ok(!server.received.some((xml) => xml.startsWith('<presence')), 'no join of a room that does not exist');
  });
});

test('given a user and two rooms, when alice sends one body to all, then each room relays it, the user is confirmed, and a refusing room fails the run with its status', async () => {
  const lab = new FakeRoom(LAB);
  const ops = new FakeRoom('ops@conference.example.org', { refuseJoin: 'registration-required' });
  const args = ['-t', 'bob@example.org', '-g', `${LAB}/alice`, '-g', 'ops@conference.example.org/alice', '-m', 'to all'];
  await sendWith(routes(lab.route, ops.route), args, ({ status, error, server }) => {
    assert.equal(status, 77, String(error));
    assert.equal(error!.message, 'ops@conference.example.org: not a member of the room (registration-required)');
    assert.equal(server.received.filter((xml) => xml.includes('<body>to all</body>')).length, 2, 'bob and lab got it');
  });
  ops.behaviour = {};
  await sendWith(routes(lab.route, ops.route), args, ({ status, error }) => assert.equal(status, 0, String(error)));
});

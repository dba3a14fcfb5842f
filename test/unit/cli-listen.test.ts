// rsxcc -c's loop against fake sessions: a connection lost after being online is said and
// reconnected; a failure a reconnect cannot fix, or a first connection that never worked, ends
// the run with that failure instead of retrying it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import xml from '@xmpp/xml';
import { AuthError, UnreachableError } from '../../xmpp/errors.ts';
import type { Session } from '../../xmpp/session.ts';
import { listen } from '../../cli/modes/listen.ts';
import { catchUp, Inbox } from '../../cli/modes/unread.ts';

function fakeSession(ended: Promise<Error | undefined>): Session {
  return {
    jid: 'bob@example.org/r',
    ended,
    enableStreamManagement: async () => true,
    drain: async () => {},
    hasFeature: async () => false,
    send: async () => {},
    request: async () => xml('iq', { type: 'result' }),
    ping: async () => {},
    close: async () => {},
    abort: () => {},
  };
}

/** listen() over `opens` (one per connection, in order), stopped as SIGTERM would shortly after the last. */
async function run(opens: Array<() => Promise<Session>>) {
  const stop = new AbortController();
  const notices: string[] = [];
  let opened = 0;
  const open = () => {
    if (opened === opens.length - 1) setTimeout(() => stop.abort(), 50);
    return opens[opened++]!();
  };
  const options = { keepaliveMs: 20, progress: () => {}, notice: (text: string) => notices.push(text), signal: stop.signal, backoff: () => 0 };
  try {
    await listen(open, (session) => catchUp(session, new Inbox({ print: async () => {} }), { quietMs: 0, timeoutMs: 1000, stayAvailable: true }), options);
    return { notices, opened };
  } finally {
    stop.abort();
  }
}

test('a connection lost after being online is said, and the run reconnects', async () => {
  const lost = async () => fakeSession(Promise.resolve(new Error('connection to h lost (ECONNRESET)')));
  const lasting = async () => fakeSession(new Promise(() => {}));
  const { notices, opened } = await run([lost, lasting]);
  assert.deepEqual(notices, ['connection lost (connection to h lost (ECONNRESET)); reconnecting in 0.0 s', 'reconnected as bob@example.org/r']);
  assert.equal(opened, 2);
});

test('a refused login on reconnect ends the run with it: no retrying what cannot work', async () => {
  let opens = 0;
  const broken = async () => (opens++, fakeSession(Promise.resolve(new Error('closed by the server'))));
  const refused = async () => {
    opens++;
    throw new AuthError('authentication failed at h: not-authorized');
  };
  await assert.rejects(run([broken, refused, broken]), AuthError);
  assert.equal(opens, 2);
});

test('a first connection that fails is the answer, not something to retry', async () => {
  let opens = 0;
  const unreachable = async (): Promise<Session> => {
    opens++;
    throw new UnreachableError('cannot connect to h: connection refused');
  };
  await assert.rejects(run([unreachable, unreachable]), UnreachableError);
  assert.equal(opens, 1);
});

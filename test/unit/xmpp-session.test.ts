// The session as composed, against throw-away servers on loopback: no STARTTLS means no
// credentials sent, silence means a time-out on time, a closed port is unreachable; and against a
// small real server (fake-xmpp-server.ts), a whole login and what close() acknowledges.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import xml from '@xmpp/xml';
import { TimeoutError, UnavailableError, UnreachableError, UntrustedCertificateError } from '../../xmpp/errors.ts';
import { openSession } from '../../xmpp/session.ts';
import * as fake from './fake-xmpp-server.ts';

const header =
  "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='example.org' version='1.0'>";

/** A server that answers every connection with `reply` (or nothing) and records what it received. */
async function fakeServer(reply: string | undefined): Promise<{ port: number; received: () => string; close: () => void }> {
  let received = '';
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.on('data', (data) => {
      received += data.toString();
      if (reply !== undefined && received.includes('<stream:stream')) socket.write(reply);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    received: () => received,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

test('a server that does not offer STARTTLS gets no credentials', async () => {
  const server = await fakeServer(
    `${header}<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>`,
  );
  try {
    await assert.rejects(
      openSession({ jid: 'alice@example.org', password: 'secret', server: { host: '127.0.0.1', port: server.port }, timeoutMs: 2000 }),
      (error: Error) => {
        assert.ok(error instanceof UnavailableError, String(error));
        assert.match(error.message, /does not offer STARTTLS: refusing to continue without TLS/);
        return true;
      },
    );
    assert.doesNotMatch(server.received(), /<auth|secret|c2VjcmV0/);
  } finally {
    server.close();
  }
});

test('a server that accepts the connection and then says nothing times out on time', async () => {
  const server = await fakeServer(undefined);
  const start = Date.now();
  try {
    await assert.rejects(
      openSession({ jid: 'alice@example.org', password: 'x', server: { host: '127.0.0.1', port: server.port }, timeoutMs: 300 }),
      (error: Error) => error instanceof TimeoutError && /timed out after 0.3 s opening the stream/.test(error.message),
    );
    assert.ok(Date.now() - start < 2000, `took ${Date.now() - start} ms`);
  } finally {
    server.close();
  }
});

test('a closed port is "connection refused", an unreachable server', async () => {
  const server = await fakeServer(undefined);
  const { port } = server;
  server.close();
  await assert.rejects(
    openSession({ jid: 'alice@example.org', password: 'x', server: { host: '127.0.0.1', port }, timeoutMs: 2000 }),
    (error: Error) => error instanceof UnreachableError && error.message === `cannot connect to 127.0.0.1:${port}: connection refused`,
  );
});

/** A fake server holding `offline`, and a login to it as alice trusting the fixture CA (unless `caFile` says otherwise). */
const withServer = (offline: string[], fn: (server: fake.FakeServer, login: fake.Login) => Promise<void>) => fake.withFakeServer(offline, undefined, fn);

/** The names of the elements the server received, in order. */
const names = (server: fake.FakeServer) => server.received.map((text) => /^<([\w:]+)/.exec(text)![1]);

test('a whole login: STARTTLS verified against the CA file, SCRAM, the resource bound, a ping, a clean close', async () => {
  await withServer([], async (server, login) => {
    const progress: string[] = [];
    const session = await login({ jid: 'alice@example.org/laptop', onProgress: (text) => progress.push(text) });
    assert.equal(session.jid, 'alice@example.org/laptop');
    await session.ping();
    await session.close();
    assert.equal(await session.ended, undefined, 'a closed session ends without an error');
    assert.deepEqual(progress, [
      `connecting to 127.0.0.1:${server.port}`,
      'starting TLS',
      'TLS TLSv1.3 established',
      'authenticating with SCRAM-SHA-1',
      'logged in as alice@example.org/laptop',
    ]);
    assert.deepEqual(names(server), ['starttls', 'auth', 'response', 'iq', 'iq']);
  });
});

test('a certificate the trusted CAs do not vouch for ends the login before any credentials', async () => {
  await withServer([], async (server, login) => {
    await assert.rejects(
      login({ caFile: undefined, timeoutMs: 2000 }),
      (error: Error) => error instanceof UntrustedCertificateError && error.code === 'DEPTH_ZERO_SELF_SIGNED_CERT',
    );
    assert.deepEqual(names(server), ['starttls']);
  });
});

test('close acknowledges exactly what the handler finished with; the message it never finished stays with the server', async () => {
  await withServer(['one', 'two', 'three'], async (server, login) => {
    const shown: string[] = [];
    const session = await login({
      timeoutMs: 500,
      acknowledgeEach: true,
      onStanza: async (stanza) => {
        const body = stanza.getChildText('body');
        if (body === 'three') return new Promise(() => {});
        if (body) shown.push(body);
      },
    });
    assert.equal(await session.enableStreamManagement(), true);
    await session.send(xml('presence'));
    // The server sends its messages while it handles the presence, before it answers the ping.
    await session.ping();
    await session.close();
    assert.deepEqual(shown, ['one', 'two']);
    const acks = server.received.filter((text) => text.startsWith('<a ')).map((text) => Number(/h="(\d+)"/.exec(text)![1]));
    assert.ok(acks.length > 0, 'the handled messages were acknowledged');
    assert.equal(Math.max(...acks), 2, `acknowledged: ${acks.join(', ')}`);
    assert.ok(server.received.at(-1)!.startsWith('<iq'), 'the final <a/> is followed by a ping that proves the server has it');
  });
});

// The session as composed, against throw-away servers on loopback: no STARTTLS means no
// credentials sent, silence means a time-out on time, a closed port is unreachable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { TimeoutError, UnavailableError, UnreachableError } from '../../xmpp/errors.ts';
import { openSession } from '../../xmpp/session.ts';

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

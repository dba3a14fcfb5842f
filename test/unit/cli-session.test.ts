// rsxcc session policy, against throw-away servers on loopback: no TLS means no login, silence
// means a time-out, and library errors map onto the exit statuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { AuthError, DataError, ExitCode, TimeoutError, UnavailableError, exitCodeOf } from '../../cli/errors.ts';
import { bounded, classify, openSession } from '../../cli/session.ts';

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

test('a server that does not offer STARTTLS gets no credentials (exit 69)', async () => {
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

test('a server that accepts the connection and then says nothing times out (exit 75) on time', async () => {
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

test('a closed port is "connection refused" (exit 69)', async () => {
  const server = await fakeServer(undefined);
  const { port } = server;
  server.close();
  await assert.rejects(
    openSession({ jid: 'alice@example.org', password: 'x', server: { host: '127.0.0.1', port }, timeoutMs: 2000 }),
    (error: Error) => exitCodeOf(error) === ExitCode.unavailable && error.message === `cannot connect to 127.0.0.1:${port}: connection refused`,
  );
});

test('bounded() passes results through and turns a late one into a TimeoutError', async () => {
  assert.equal(await bounded(Promise.resolve(7), 50, 'x'), 7);
  await assert.rejects(bounded(new Promise(() => {}), 20, 'waiting for Godot'), /^TimeoutError: timed out after 0.02 s waiting for Godot$/);
});

test('classify(): SASL failures are auth errors, untrusted certificates and refusals unavailability', () => {
  const sasl = Object.assign(new Error('not-authorized'), { name: 'SASLError', condition: 'not-authorized', text: 'Invalid username or password' });
  const auth = classify(sasl, 'h:5222');
  assert.ok(auth instanceof AuthError);
  assert.equal(auth.message, 'authentication failed at h:5222: not-authorized (Invalid username or password)');

  const cert = classify(Object.assign(new Error('unable to verify'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }), 'h:5222');
  assert.ok(cert instanceof UnavailableError);
  assert.match(cert.message, /certificate we do not trust .*-a CAFILE/);
  assert.ok(classify(Object.assign(new Error('x'), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }), 'h') instanceof UnavailableError);

  const tooBig = classify(Object.assign(new Error('policy-violation'), { name: 'StreamError', condition: 'policy-violation', text: 'Stanza too large' }), 'h');
  assert.ok(tooBig instanceof DataError);
  assert.equal(tooBig.message, 'h closed the stream: policy-violation (Stanza too large)');

  const other = classify(Object.assign(new Error('system-shutdown'), { name: 'StreamError', condition: 'system-shutdown' }), 'h');
  assert.equal(exitCodeOf(other), ExitCode.tempfail);
});

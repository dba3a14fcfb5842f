// Which CAs TLS trusts: a CA file alone, checked before any connection; else the default store
// with an extra CA file added to it (or skipped with a warning); else the default store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { ConfigError } from '../../xmpp/errors.ts';
import { trustAnchors, type Trust } from '../../xmpp/trust.ts';
import { cert, key } from './fixtures/tls.ts';

async function withFiles(files: Record<string, string>, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'xmpp-trust-'));
  try {
    for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Whether a TLS client with `trust` accepts a loopback server holding the fixture certificate. */
async function accepts(trust: Trust): Promise<boolean | string> {
  const server = tls.createServer({ key, cert }, (socket) => socket.end());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const socket = tls.connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, servername: 'example.org', ...trust });
    const outcome = await new Promise<boolean | string>((resolve) => {
      socket.once('secureConnect', () => resolve(true));
      socket.once('error', (error: Error & { code?: string }) => resolve(error.code ?? error.message));
    });
    socket.destroy();
    return outcome;
  } finally {
    server.close();
  }
}

test('a CA file is the only trust: its text, once every certificate in it parses', async () => {
  await withFiles({ 'ca.pem': cert }, async (dir) => {
    const trust = await trustAnchors({ caFile: path.join(dir, 'ca.pem'), extraCaFile: '/nonexistent', onWarning: assert.fail });
    assert.deepEqual(trust, { ca: cert });
    assert.equal(await accepts(trust), true);
  });
});

test('a CA file that cannot be used is a ConfigError before any connection', async () => {
  const broken = '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n';
  await withFiles({ 'empty.pem': 'no certificate here\n', 'broken.pem': broken }, async (dir) => {
    const cases: Array<[string, RegExp]> = [
      [path.join(dir, 'missing.pem'), /^cannot read CA file .*missing\.pem: ENOENT/],
      [path.join(dir, 'empty.pem'), /^CA file .*empty\.pem holds no PEM certificate$/],
      [path.join(dir, 'broken.pem'), /^CA file .*broken\.pem holds a certificate that does not parse$/],
    ];
    for (const [caFile, message] of cases) {
      await assert.rejects(trustAnchors({ caFile }), (error: Error) => error instanceof ConfigError && message.test(error.message));
    }
  });
});

test('an extra CA file is added to the default store, which alone does not trust that server', async () => {
  assert.deepEqual(await trustAnchors({}), {});
  assert.equal(await accepts({}), 'DEPTH_ZERO_SELF_SIGNED_CERT');
  await withFiles({ 'extra.pem': cert }, async (dir) => {
    const trust = await trustAnchors({ extraCaFile: path.join(dir, 'extra.pem'), onWarning: assert.fail });
    assert.ok('secureContext' in trust);
    assert.equal(await accepts(trust), true);
  });
});

test('an unreadable extra CA file is skipped with a warning, as Node does', async () => {
  const warnings: string[] = [];
  const trust = await trustAnchors({ extraCaFile: '/nonexistent/extra.pem', onWarning: (text) => warnings.push(text) });
  assert.deepEqual(trust, {});
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /^ignoring extra CA certificates from \/nonexistent\/extra\.pem: ENOENT/);
});

// STARTTLS required: against a fake entity, a server that does not offer it gets nothing but the
// refusal, a server that offers it gets <starttls/> and then TLS with the caller's trust, and only
// a secure stream goes on to the next feature.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import xml, { type Element } from '@xmpp/xml';
import type { Middleware, MiddlewareStack } from '@xmpp/middleware';
import { UnavailableError } from '../../xmpp/errors.ts';
import { requireStartTls, type StartTlsEntity } from '../../xmpp/starttls.ts';

const NS_TLS = 'urn:ietf:params:xml:ns:xmpp-tls';
const features = (...children: Element[]) => xml('stream:features', { 'xmlns:stream': 'http://etherx.jabber.org/streams' }, ...children);
const offered = features(xml('starttls', { xmlns: NS_TLS }, xml('required')));

function setUp(answer: Element, options: { insecure?: boolean } = {}) {
  let handler: Middleware | undefined;
  const middleware: MiddlewareStack = { use: (fn) => (handler = fn), filter: (fn) => fn };
  const log = { sent: [] as string[], upgrades: [] as ConnectionOptions[], restarts: 0, progress: [] as string[], secure: false };
  const entity: StartTlsEntity = {
    isSecure: () => log.secure,
    sendReceive: async (element) => (log.sent.push(String(element)), answer),
    restart: async () => (log.restarts++, answer),
  };
  requireStartTls(
    { entity, middleware, xml },
    {
      domain: 'example.org',
      where: 'h:5222',
      trust: { ca: 'PEM' },
      insecure: options.insecure ?? false,
      progress: (text) => log.progress.push(text),
      upgrade: async (tls) => {
        log.upgrades.push(tls);
        log.secure = true;
        return { getProtocol: () => 'TLSv1.3' } as TLSSocket;
      },
    },
  );
  let nexts = 0;
  const next = async () => void nexts++;
  const receive = (stanza: Element) => handler!({ stanza, entity: entity as never }, next);
  return { log, receive, nexts: () => nexts };
}

test('features without STARTTLS before TLS: refused, nothing sent, nothing else negotiated', async () => {
  const { log, receive, nexts } = setUp(xml('proceed', { xmlns: NS_TLS }));
  const plainOnly = features(xml('mechanisms', { xmlns: 'urn:ietf:params:xml:ns:xmpp-sasl' }, xml('mechanism', {}, 'PLAIN')));
  await assert.rejects(async () => receive(plainOnly), (error: Error) => {
    assert.ok(error instanceof UnavailableError);
    assert.equal(error.message, 'h:5222 does not offer STARTTLS: refusing to continue without TLS');
    return true;
  });
  assert.deepEqual(log.sent, []);
  assert.deepEqual(log.upgrades, []);
  assert.equal(nexts(), 0, 'SASL never sees the features');
});

test('offered STARTTLS: <starttls/>, <proceed/>, TLS for the domain with the given trust, verified, then a new stream', async () => {
  const { log, receive, nexts } = setUp(xml('proceed', { xmlns: NS_TLS }));
  await receive(offered);
  assert.deepEqual(log.sent, [`<starttls xmlns="${NS_TLS}"/>`]);
  assert.deepEqual(log.upgrades, [{ servername: 'example.org', ca: 'PEM', rejectUnauthorized: true }]);
  assert.equal(log.restarts, 1);
  assert.deepEqual(log.progress, ['starting TLS', 'TLS TLSv1.3 established']);
  assert.equal(nexts(), 0);
});

test('-K style insecure: the certificate is not verified, and progress says so', async () => {
  const { log, receive } = setUp(xml('proceed', { xmlns: NS_TLS }), { insecure: true });
  await receive(offered);
  assert.equal(log.upgrades[0]!.rejectUnauthorized, false);
  assert.equal(log.progress.at(-1), 'TLS TLSv1.3 established (certificate NOT verified)');
});

test('a server that answers <starttls/> with <failure/> is refused, and no TLS is attempted', async () => {
  const { log, receive } = setUp(xml('failure', { xmlns: NS_TLS }));
  await assert.rejects(async () => receive(offered), /^UnavailableError: h:5222 refused STARTTLS$/);
  assert.deepEqual(log.upgrades, []);
  assert.equal(log.restarts, 0);
});

test('once the stream is secure, features and everything else go on to the next handler', async () => {
  const { log, receive, nexts } = setUp(xml('proceed', { xmlns: NS_TLS }));
  log.secure = true;
  await receive(features(xml('mechanisms', { xmlns: 'urn:ietf:params:xml:ns:xmpp-sasl' })));
  await receive(xml('message', {}, xml('body', {}, 'hi')));
  assert.equal(nexts(), 2);
  assert.deepEqual(log.sent, []);
});

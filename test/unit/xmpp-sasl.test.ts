// Authentication against a fake entity, through the real @xmpp/sasl: SASL never starts before TLS,
// the strongest mechanism offered is used, and a SCRAM login whose server cannot prove that it
// knows the password fails even though the server says <success/>.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, pbkdf2Sync } from 'node:crypto';
import { EventEmitter } from 'node:events';
import xml, { type Element } from '@xmpp/xml';
import middleware from '@xmpp/middleware';
import streamFeatures from '@xmpp/stream-features';
import sasl from '@xmpp/sasl';
import SASLFactory from 'saslmechanisms';
import { AuthError, UnavailableError } from '../../xmpp/errors.ts';
import { authenticate } from '../../xmpp/sasl.ts';

const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
const PASSWORD = 'pencil';
const flush = () => new Promise((resolve) => setImmediate(resolve));
const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64');
const unb64 = (element: Element) => Buffer.from(element.text(), 'base64').toString('utf8');

/** The stream as @xmpp/sasl sees it: elements in, elements out, secure or not. */
class FakeEntity extends EventEmitter {
  readonly options = { domain: 'example.org' };
  readonly jid = null;
  readonly sent: Element[] = [];
  readonly errors: Error[] = [];
  restarts = 0;
  constructor(readonly secure: boolean) {
    super();
    this.on('error', (error: Error) => this.errors.push(error));
  }
  isSecure() {
    return this.secure;
  }
  async send(element: Element) {
    this.sent.push(element);
    this.emit('send', element);
  }
  async restart() {
    this.restarts++;
  }
  receive(element: Element) {
    this.emit('element', element);
    this.emit('nonza', element);
  }
  async next(name: string): Promise<Element> {
    for (let i = 0; i < 20; i++, await flush()) {
      const found = this.sent.find((element) => element.name === name);
      if (found) return found;
    }
    throw new Error(`nothing named ${name} was sent: ${this.sent.join(' ')}`);
  }
}

function setUp(secure: boolean, offered: string[]) {
  const entity = new FakeEntity(secure);
  const failures: Error[] = [];
  const progress: string[] = [];
  const features = streamFeatures({ middleware: middleware({ entity }) });
  authenticate(
    { entity, streamFeatures: features, sasl, SASLFactory },
    { username: 'user', password: PASSWORD, where: 'h:5222', progress: (text) => progress.push(text), fail: (error) => failures.push(error) },
  );
  const mechanisms = xml('mechanisms', { xmlns: NS_SASL }, ...offered.map((name) => xml('mechanism', {}, name)));
  entity.receive(xml('stream:features', { 'xmlns:stream': 'http://etherx.jabber.org/streams' }, mechanisms));
  return { entity, failures, progress };
}

/** A SCRAM-SHA-1 server's side up to its final message: v= with the signature it computes (or `forge`). */
async function scramExchange(entity: FakeEntity, forge?: string): Promise<Element> {
  const clientFirstBare = unb64(await entity.next('auth')).slice(3);
  const nonce = /r=([^,]+)/.exec(clientFirstBare)![1]!;
  const salt = Buffer.from('QSXCR+Q6sek8bf92', 'base64');
  const serverFirst = `r=${nonce}server,s=${salt.toString('base64')},i=4096`;
  entity.receive(xml('challenge', { xmlns: NS_SASL }, b64(serverFirst)));
  const withoutProof = unb64(await entity.next('response')).replace(/,p=.*$/, '');
  const serverKey = createHmac('sha1', pbkdf2Sync(PASSWORD, salt, 4096, 20, 'sha1')).update('Server Key').digest();
  const signature = createHmac('sha1', serverKey).update(`${clientFirstBare},${serverFirst},${withoutProof}`).digest('base64');
  return xml('success', { xmlns: NS_SASL }, b64(`v=${forge ?? signature}`));
}

test('no SASL before TLS, not even PLAIN: nothing is sent and the session fails', async () => {
  const { entity, progress } = setUp(false, ['PLAIN', 'SCRAM-SHA-1']);
  await flush();
  assert.deepEqual(entity.sent, []);
  assert.equal(entity.errors.length, 1);
  assert.ok(entity.errors[0] instanceof UnavailableError);
  assert.equal(entity.errors[0]!.message, 'refusing to authenticate without TLS');
  assert.deepEqual(progress, []);
});

test('the strongest mechanism offered wins: SCRAM-SHA-256, then SCRAM-SHA-1, then PLAIN', async () => {
  for (const [offered, chosen] of [
    [['PLAIN', 'SCRAM-SHA-1', 'SCRAM-SHA-256'], 'SCRAM-SHA-256'],
    [['PLAIN', 'SCRAM-SHA-1'], 'SCRAM-SHA-1'],
    [['PLAIN', 'DIGEST-MD5'], 'PLAIN'],
  ] as const) {
    const { entity, progress } = setUp(true, [...offered]);
    assert.equal((await entity.next('auth')).attrs.mechanism, chosen);
    assert.deepEqual(progress, [`authenticating with ${chosen}`]);
  }
});

test('SCRAM: a server whose signature matches is authenticated, and the stream restarts', async () => {
  const { entity, failures } = setUp(true, ['SCRAM-SHA-1']);
  entity.receive(await scramExchange(entity));
  await flush();
  assert.deepEqual(failures, []);
  assert.equal(entity.restarts, 1);
});

test('SCRAM: <success/> with a signature that does not match fails the login', async () => {
  const { entity, failures } = setUp(true, ['SCRAM-SHA-1']);
  entity.receive(await scramExchange(entity, b64(Buffer.alloc(20, 7))));
  await flush();
  assert.equal(failures.length, 1);
  assert.ok(failures[0] instanceof AuthError);
  assert.equal(failures[0]!.message, 'h:5222: SCRAM: the server could not prove it knows the password');
});

test('SCRAM: a server-final sent as a last <challenge/> with a signature that does not match fails as authentication, and nothing more is sent', async () => {
  const { entity } = setUp(true, ['SCRAM-SHA-1']);
  const success = await scramExchange(entity, b64(Buffer.alloc(20, 7)));
  const responses = entity.sent.filter((element) => element.name === 'response').length;
  entity.receive(xml('challenge', { xmlns: NS_SASL }, success.text()));
  await flush();
  assert.equal(entity.errors.length, 1);
  assert.ok(entity.errors[0] instanceof AuthError, `${entity.errors[0]?.constructor.name}: ${entity.errors[0]?.message}`);
  assert.equal(entity.errors[0]!.message, 'h:5222: SCRAM: the server could not prove it knows the password');
  assert.equal(entity.sent.filter((element) => element.name === 'response').length, responses, 'no response to a server that failed its proof');
});

test('SCRAM: <success/> with no signature at all fails the login too', async () => {
  const { entity, failures } = setUp(true, ['SCRAM-SHA-1']);
  await scramExchange(entity);
  entity.receive(xml('success', { xmlns: NS_SASL }));
  await flush();
  assert.equal(failures.length, 1);
  assert.ok(failures[0] instanceof AuthError);
});

test('PLAIN over TLS sends the credentials once and takes <success/> as it is', async () => {
  const { entity, failures } = setUp(true, ['PLAIN']);
  assert.equal(unb64(await entity.next('auth')), `\0user\0${PASSWORD}`);
  entity.receive(xml('success', { xmlns: NS_SASL }));
  await flush();
  assert.deepEqual(failures, []);
  assert.equal(entity.restarts, 1);
});

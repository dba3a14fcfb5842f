// The bulk account formats: Prosody's stored SCRAM fields and rows, ejabberd's XEP-0227 import.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { piefxis, prosodyAccountsSql, scramSha1 } from '../../provision/load/accounts.ts';

test('SCRAM-SHA-1 credentials match an independent implementation (Python hashlib/hmac)', () => {
  assert.deepEqual(scramSha1('pencil', '0123456789abcdef'), {
    stored_key: 'acf27b88f4897abf9b9c3afd3c2589351200ebc3',
    server_key: 'adc1e33b25487b88c7dee687b26f37940a73c65a',
    salt: '0123456789abcdef',
    iteration_count: 4096,
  });
});

test("Prosody rows: one per field, typed as mod_storage_sql writes them, quotes escaped", () => {
  const sql = prosodyAccountsSql('p.test', [{ user: "o'brien", credentials: scramSha1('x', 's') }]);
  assert.match(sql, /^INSERT INTO prosody \(host,user,store,`key`,type,value\) VALUES/);
  assert.match(sql, /\('p\.test','o''brien','accounts','iteration_count','number','4096'\)/);
  assert.match(sql, /\('p\.test','o''brien','accounts','salt','string','s'\)/);
  assert.equal(sql.match(/\('p\.test'/g)?.length, 4);
});

test('Prosody rows are split into statements of at most 1,000 rows', () => {
  const accounts = Array.from({ length: 600 }, (_, i) => ({ user: `u${i}`, credentials: { stored_key: 'a', server_key: 'b', salt: 'c', iteration_count: 1 } }));
  assert.equal(prosodyAccountsSql('d', accounts).match(/INSERT INTO/g)?.length, 3);
});

test('XEP-0227: every user under its host, attributes escaped', () => {
  const xml = piefxis('e.test', ['a', 'b'], "p'w&<");
  assert.match(xml, /<server-data xmlns='urn:xmpp:pie:0'>/);
  assert.match(xml, /<host jid='e\.test'>/);
  assert.match(xml, /<user name='a' password='p&apos;w&amp;&lt;'\/>/);
  assert.equal(xml.match(/<user /g)?.length, 2);
});

// SASL mechanisms against the published test vectors, so a login failure in the field
// can never be our arithmetic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Plain, ScramSha1, ScramSha256 } from '../../xmpp/scram.ts';

const utf8 = (binary: string) => Buffer.from(binary, 'latin1').toString('utf8');
const binary = (text: string) => Buffer.from(text, 'utf8').toString('latin1');

test('SCRAM-SHA-1: RFC 5802 section 5 exchange', () => {
  const mech = new ScramSha1('fyko+d2lbbFgONRv9qkxdawL');
  const creds = { username: 'user', password: 'pencil' };
  assert.equal(mech.response(creds), 'n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL');
  mech.challenge('r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096');
  assert.equal(mech.response(creds), 'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=');
  mech.challenge('v=rmF9pqV8S7suAoZWja4dJRkFsKQ=');
  assert.equal(mech.serverVerified, true);
  assert.equal(mech.response(creds), '');
});

test('SCRAM-SHA-256: RFC 7677 section 3 exchange', () => {
  const mech = new ScramSha256('rOprNGfwEbeRWgbNEkqO');
  const creds = { username: 'user', password: 'pencil' };
  mech.response(creds);
  mech.challenge('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
  assert.equal(mech.response(creds), 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=');
  mech.verifyServerFinal('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
  assert.equal(mech.serverVerified, true);
});

test('SCRAM refuses a server that does not know the password, or changes our nonce', () => {
  const mech = new ScramSha1('fyko+d2lbbFgONRv9qkxdawL');
  const creds = { username: 'user', password: 'pencil' };
  mech.response(creds);
  mech.challenge('r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096');
  mech.response(creds);
  assert.throws(() => mech.verifyServerFinal('v=AAAAAAAAAAAAAAAAAAAAAAAAAAA='), /could not prove/);
  assert.equal(mech.serverVerified, false);

  const other = new ScramSha1('mynonce');
  other.response(creds);
  other.challenge('r=someone-elses-nonce,s=QSXCR+Q6sek8bf92,i=4096');
  assert.throws(() => other.response(creds), /malformed server-first-message/);
});

test('SCRAM escapes "=" and "," in the user name and carries UTF-8 as bytes', () => {
  const mech = new ScramSha1('n0nce');
  assert.equal(utf8(mech.response({ username: 'a=b,c ø', password: 'x' })), 'n,,n=a=3Db=2Cc ø,r=n0nce');
});

test('PLAIN: authzid empty, then user and password, as UTF-8 bytes that btoa() accepts', () => {
  const response = new Plain().response({ username: 'bob', password: 'pässwörd😀' });
  assert.equal(response, binary('\0bob\0pässwörd😀'));
  assert.doesNotThrow(() => btoa(response));
});

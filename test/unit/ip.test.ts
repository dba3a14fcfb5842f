import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { ipVersion } from '../../xmpp/ip.ts';
import { answerIsIpFast } from '../../xmpp/adapter.ts';

const SAMPLES = [
  'prosody.chat.test', 'ejabberd.chat.test.', 'localhost', '', 'a', '1.2.3', '1.2.3.4', '192.168.56.11', '256.1.1.1', '01.2.3.4',
  '::', '::1', 'fe80::1%eth0', '2001:db8::8a2e:370:7334', '::ffff:192.0.2.1', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9', ':', 'a:b', '[::1]',
];
const nodeAnswers = SAMPLES.map((s) => net.isIP(s));

test('ipVersion answers as net.isIP does, for addresses of both families and for names', () => {
  assert.deepEqual(SAMPLES.map(ipVersion), nodeAnswers);
  assert.ok(nodeAnswers.includes(4) && nodeAnswers.includes(6) && nodeAnswers.includes(0));
});

test("once TLS's net.isIP is ipVersion, it gives the same answers (and does not call itself)", () => {
  answerIsIpFast();
  assert.equal(net.isIP, ipVersion);
  assert.deepEqual(SAMPLES.map((s) => net.isIP(s)), nodeAnswers);
});

// Specification of the lab model: what a valid lab is, and what resolving it derives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lab as spec } from '../../provision/lab.ts';
import { defineLab, ModelError, validateSpec } from '../../provision/validate.ts';
import { parseCidr, formatIPv4, type LabSpec } from '../../provision/model.ts';

const withSpec = (patch: (s: LabSpec) => void): LabSpec => {
  const copy = structuredClone(spec);
  patch(copy);
  return copy;
};

test('the shipped lab validates and has the five Vagrant machines plus a client host', () => {
  assert.deepEqual(validateSpec(spec), []);
  const lab = defineLab(spec);
  assert.deepEqual(lab.hosts.map((h) => h.name), ['haproxy', 'prosody', 'db', 'ejabberd1', 'ejabberd2', 'client']);
  assert.deepEqual(lab.hosts.filter((h) => h.vagrant).map((h) => h.name), ['haproxy', 'prosody', 'db', 'ejabberd1', 'ejabberd2']);
});

test('storage mnesia has no db host; any other storage is a model error', () => {
  assert.deepEqual(defineLab(withSpec((s) => (s.storage = 'mnesia'))).hosts.map((h) => h.name), ['haproxy', 'prosody', 'ejabberd1', 'ejabberd2', 'client']);
  assert.throws(() => defineLab(withSpec((s) => (s.storage = 'postgres' as never))), /storage: "postgres" must be sql or mnesia/);
});

test('addresses come from the subnet and the offsets; node names are resolvable long names', () => {
  const lab = defineLab(spec);
  assert.equal(lab.workstationAddress, '192.168.56.1');
  assert.equal(lab.haproxy.address, '192.168.56.10');
  assert.deepEqual(lab.ejabberd.map((n) => n.host.address), ['192.168.56.21', '192.168.56.22']);
  assert.deepEqual(lab.ejabberd.map((n) => n.erlangNode), ['ejabberd@ejabberd1.lab.chat.test', 'ejabberd@ejabberd2.lab.chat.test']);
  assert.equal(lab.prefixLength, 21);
});

test('any N >= 1 gives N nodes; demo accounts exist on both domains', () => {
  for (const n of [1, 3, 5]) {
    const lab = defineLab(withSpec((s) => (s.ejabberdNodes = n)));
    assert.equal(lab.ejabberd.length, n);
    assert.equal(new Set(lab.hosts.map((h) => h.address)).size, lab.hosts.length);
  }
  const jids = defineLab(spec).accounts.map((a) => a.jid);
  for (const jid of ['alice@prosody.chat.test', 'bob@prosody.chat.test', 'alice@ejabberd.chat.test', 'bob@ejabberd.chat.test']) {
    assert.ok(jids.includes(jid), jid);
  }
});

test('a bad model is refused with every problem named', () => {
  const bad = withSpec((s) => {
    s.ejabberdNodes = 0;
    s.domains.ejabberd = 'ejabberd.example.org';
    s.accounts = ['alice', 'Bad Name'];
    s.ports.c2sProxied = s.ports.c2s;
    s.subnet = '192.168.56.0/33';
  });
  assert.throws(() => defineLab(bad), (error: unknown) => {
    assert.ok(error instanceof ModelError);
    const text = error.problems.join('\n');
    for (const field of ['ejabberdNodes', 'domains.ejabberd', 'accounts', 'ports', 'subnet']) assert.match(text, new RegExp(field));
    return true;
  });
});

test('hosts must fit in the subnet and not share an address', () => {
  assert.match(validateSpec(withSpec((s) => (s.subnet = '192.168.56.0/26'))).join(), /offsets/);
  assert.match(validateSpec(withSpec((s) => (s.offsets.client = s.offsets.haproxy))).join(), /share an address/);
});

test('CIDR parsing masks the host part and refuses nonsense', () => {
  assert.deepEqual(parseCidr('192.168.57.9/21'), { network: parseCidr('192.168.56.0/21').network, prefixLength: 21 });
  assert.equal(formatIPv4(parseCidr('10.1.2.3/8').network), '10.0.0.0');
  assert.throws(() => parseCidr('300.1.1.1/24'));
  assert.throws(() => parseCidr('192.168.1.1'));
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { labNetworks, MANAGEMENT } from '../../provision/box/host.ts';
import { projectRoot } from '../../provision/paths.ts';
import { networkXml, prefixToNetmask } from '../../provision/box/libvirt-xml.ts';
import { chainCleanup, chainsIn } from '../../provision/box/firewall.ts';

test('netmasks', () => {
  assert.equal(prefixToNetmask(21), '255.255.248.0');
  assert.equal(prefixToNetmask(24), '255.255.255.0');
  assert.throws(() => prefixToNetmask(0));
});

test('network names are the ones the Vagrantfile refers to', () => {
  const { lab, management } = labNetworks();
  const vagrantfile = readFileSync(path.join(projectRoot, 'Vagrantfile'), 'utf8');
  const setting = (pattern: RegExp) => [...vagrantfile.matchAll(pattern)].map((m) => m[1]);
  assert.deepEqual(setting(/libvirt__network_name: "([^"]+)"/g), [lab.name], "every host's private network");
  assert.deepEqual(setting(/management_network_name = "([^"]+)"/g), [management.name]);
  assert.deepEqual(setting(/management_network_address = "([^"]+)"/g), [MANAGEMENT.network]);
  // The hosts' addresses are in the network box host up makes, with its netmask.
  assert.deepEqual(setting(/netmask: "([^"]+)"/g), [prefixToNetmask(lab.prefixLength)]);
  const size = 2 ** (32 - lab.prefixLength);
  const network = (a: string) => Math.floor(a.split('.').reduce((n, o) => n * 256 + Number(o), 0) / size);
  const ips = setting(/ ip: "([^"]+)"/g);
  assert.ok(ips.length >= 4, 'the hosts of the Vagrantfile');
  for (const ip of ips) assert.equal(network(ip!), network(lab.hostAddress), ip);
});

test('the lab network is isolated: no forward, no DNS, no DHCP, host at .1 of 192.168.56.0/21', () => {
  const { lab } = labNetworks();
  const xml = networkXml(lab);
  assert.doesNotMatch(xml, /<forward/);
  assert.doesNotMatch(xml, /<dhcp/);
  assert.match(xml, /<dns enable="no"\/>/);
  assert.match(xml, /<ip address="192\.168\.56\.1" netmask="255\.255\.248\.0">/);
  assert.ok(lab.bridge.length <= 15);
});

test('the management network has DHCP for Vagrant but no forward and no DNS', () => {
  const { management } = labNetworks();
  const xml = networkXml(management);
  assert.doesNotMatch(xml, /<forward/);
  assert.match(xml, /<dns enable="no"\/>/);
  assert.match(xml, /<range start="192\.168\.121\.10" end="192\.168\.121\.254"\/>/);
  assert.ok(management.bridge.length <= 15);
});

test('bridge names longer than Linux allows are refused', () => {
  assert.throws(() => networkXml({ name: 'x', bridge: 'a-very-long-bridge', hostAddress: '10.0.0.1', prefixLength: 24 }));
});

const before = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:LIBVIRT_OLD - [0:0]
-A INPUT -j LIBVIRT_OLD
COMMIT
`;
const after = `*nat
:PREROUTING ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:LIBVIRT_PRT - [0:0]
-A POSTROUTING -j LIBVIRT_PRT
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:LIBVIRT_FWI - [0:0]
:LIBVIRT_FWO - [0:0]
:LIBVIRT_INP - [0:0]
:LIBVIRT_OLD - [0:0]
-A INPUT -j LIBVIRT_INP
-A INPUT -j LIBVIRT_OLD
-A FORWARD -j LIBVIRT_FWI
-A FORWARD -j LIBVIRT_FWO
-A LIBVIRT_FWO -j LIBVIRT_FWI
COMMIT
`;

test('only the chains libvirt added since the snapshot are removed, jumps first', () => {
  assert.deepEqual([...(chainsIn(after).get('filter') ?? [])].sort(), ['LIBVIRT_FWI', 'LIBVIRT_FWO', 'LIBVIRT_INP', 'LIBVIRT_OLD']);
  const cmds = chainCleanup(before, after).map((c) => c.join(' '));
  assert.deepEqual(cmds, [
    '-t nat -D POSTROUTING -j LIBVIRT_PRT',
    '-t nat -F LIBVIRT_PRT',
    '-t nat -X LIBVIRT_PRT',
    '-t filter -D INPUT -j LIBVIRT_INP',
    '-t filter -D FORWARD -j LIBVIRT_FWI',
    '-t filter -D FORWARD -j LIBVIRT_FWO',
    '-t filter -F LIBVIRT_FWI',
    '-t filter -F LIBVIRT_FWO',
    '-t filter -F LIBVIRT_INP',
    '-t filter -X LIBVIRT_FWI',
    '-t filter -X LIBVIRT_FWO',
    '-t filter -X LIBVIRT_INP',
  ]);
  assert.deepEqual(chainCleanup(after, after), []);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { guestSources, parseAptSources } from '../../provision/box/apt-sources.ts';
import { boxVagrantfile, metadataJson } from '../../provision/box/metadata.ts';
import { mountsUnder } from '../../provision/box/mounts.ts';

test('metadata.json is what vagrant-libvirt expects', () => {
  assert.deepEqual(JSON.parse(metadataJson(16)), { provider: 'libvirt', format: 'qcow2', virtual_size: 16 });
  assert.throws(() => metadataJson(0));
  assert.throws(() => metadataJson(1.5));
});

test('the embedded Vagrantfile only sets the virtio disk and NIC', () => {
  const v = boxVagrantfile();
  assert.match(v, /disk_bus = "virtio"/);
  assert.match(v, /nic_model_type = "virtio"/);
  assert.doesNotMatch(v, /driver|synced_folder/);
});

const deb822 = `Types: deb
# a comment
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main

Types: deb
URIs: https://vendor.example/apt
Suites: nodistro
Components: main
`;

test('guest sources keep the Debian suite of the building machine and nothing else', () => {
  const entries = [
    ...parseAptSources('debian.sources', deb822),
    ...parseAptSources('extra.list', 'deb [arch=amd64 signed-by=/k.gpg] https://other.example/apt bookworm main\n# deb http://x y z\n'),
    ...parseAptSources('old.list.disabled', 'deb http://ignored.example/debian bookworm main\n'),
  ];
  assert.equal(entries.length, 4);
  const g = guestSources(entries, 'bookworm');
  assert.equal(g.mirror, 'http://mirror.example/debian');
  assert.match(g.deb822, /URIs: http:\/\/mirror\.example\/debian\nSuites: bookworm bookworm-updates\n/);
  assert.match(g.deb822, /Suites: bookworm-security/);
  assert.doesNotMatch(g.deb822, /vendor\.example|ignored\.example/);
  assert.throws(() => guestSources(entries.filter((e) => !e.suites.includes('bookworm')), 'bookworm'));
});

test('mounts under a work directory come deepest first, others are ignored', () => {
  const info = [
    '22 1 8:1 / / rw - ext4 /dev/vda rw',
    '40 22 7:0 / /var/cache/b/work-1/root rw - ext4 /dev/loop0 rw',
    '41 40 0:5 / /var/cache/b/work-1/root/proc rw - proc proc rw',
    '42 40 0:6 / /var/cache/b/work-1/root/dev rw - devtmpfs udev rw',
    '43 42 0:7 / /var/cache/b/work-1/root/dev/pts rw - devpts devpts rw',
    '44 22 0:8 / /var/cache/b/work-10/x rw - tmpfs t rw',
    '45 22 0:9 / /var/cache/b/work-1/with\\040space rw - tmpfs t rw',
  ].join('\n');
  assert.deepEqual(mountsUnder(info, '/var/cache/b/work-1/'), [
    '/var/cache/b/work-1/root/dev/pts',
    '/var/cache/b/work-1/root/proc',
    '/var/cache/b/work-1/root/dev',
    '/var/cache/b/work-1/with space',
    '/var/cache/b/work-1/root',
  ]);
});

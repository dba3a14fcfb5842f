// Specification of named labs: another size of the same model runs beside the default lab.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { execa } from 'execa';
import { chatlab, chatlabBin } from './fixture.ts';
import type { LabStatus } from '../../provision/lab/status.ts';

const NAME = 'trio';
const SUBNET = '192.168.72.0/21';

test('a three-node lab of its own comes up as one cluster behind HAProxy, and goes without a trace', { timeout: 300_000 }, async () => {
  const up = await chatlab('--lab', NAME, 'up', '--nodes', '3', '--subnet', SUBNET);
  try {
    assert.equal(up.exitCode, 0, up.stderr);
    assert.match(up.stderr, /login ok: alice@ejabberd\.chat\.test via ejabberd3 \(192\.168\.72\.23:5222\)/);
    const status = JSON.parse((await chatlab('--lab', NAME, 'status', '-o', 'json')).stdout) as LabStatus;
    const nodes = ['ejabberd@ejabberd1.lab.chat.test', 'ejabberd@ejabberd2.lab.chat.test', 'ejabberd@ejabberd3.lab.chat.test'];
    for (const n of status.ejabberd) assert.deepEqual(n.cluster, nodes, `${n.host} sees all three`);
    const servers = ['ejabberd1', 'ejabberd2', 'ejabberd3'];
    assert.deepEqual(status.haproxy?.map((s) => `${s.server} ${s.status}`), ['ejabberd', 'ejabberd_s2s'].flatMap((b) => servers.map((n) => `${b}/${n} UP`)), 'clients and peer servers balanced over all three');
    assert.notEqual(status.caFile, (JSON.parse((await chatlab('status', '-o', 'json')).stdout) as LabStatus).caFile, 'own secrets');
  } finally {
    const down = await chatlab('--lab', NAME, 'down', '--wipe');
    assert.equal(down.exitCode, 0, down.stderr);
  }
  assert.doesNotMatch((await execa('ip', ['netns', 'list'])).stdout, new RegExp(`${NAME}-`));
  assert.equal((await execa('ip', ['route', 'show', SUBNET])).stdout, '');
  assert.deepEqual((await readdir('/etc/netns').catch(() => [])).filter((e) => e.startsWith(`${NAME}-`)), []);
});

test('a lab on a subnet this machine already routes is refused before anything is made', async () => {
  const status = JSON.parse((await chatlab('status', '-o', 'json')).stdout) as LabStatus;
  assert.equal(status.up, true, 'the default lab runs');
  // Inside the test lab's own subnet: a /22 of the same network address.
  const r = await chatlab('--lab', 'clash', 'up', '--subnet', `${status.subnet.split('/')[0]}/22`);
  assert.equal(r.exitCode, 69);
  assert.match(r.stderr, /already routed elsewhere/);
  assert.doesNotMatch((await execa('ip', ['netns', 'list'])).stdout, /clash-/);
});

test('naming mistakes are usage errors', async () => {
  const fresh = await chatlab('--lab', 'nosuchlab', 'status');
  assert.equal(fresh.exitCode, 64);
  assert.match(fresh.stderr, /does not exist yet/);
  // Without --lab (not through the fixture, which may add one): overrides need a lab of their own.
  const unnamed = await execa('node', [chatlabBin, 'up', '--nodes', '3'], { reject: false, stdin: 'ignore' });
  assert.equal(unnamed.exitCode, 64);
  assert.match(unnamed.stderr, /name it with --lab NAME/);
  assert.equal((await chatlab('--lab', 'x', 'up', '--nodes', 'many', '--subnet', SUBNET)).exitCode, 64);
});

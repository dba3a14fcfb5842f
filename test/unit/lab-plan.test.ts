// Specification of the namespace plan: what `chatlab up` will build, checked without root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lab as spec } from '../../provision/lab.ts';
import { defineLab } from '../../provision/validate.ts';
import { hostArgv, planNetns } from '../../provision/lab/plan.ts';

const plan = planNetns(defineLab({ ...structuredClone(spec), ejabberdNodes: 9 }), '/state');

test('one namespace per host plus a switch; interface names fit Linux limit of 15 characters', () => {
  assert.equal(plan.hosts.length, 9 + 4);
  const names = [plan.switchNetns, ...plan.hosts.map((h) => h.netns)];
  assert.equal(new Set(names).size, names.length);
  for (const dev of [plan.bridge, plan.workstationDevice, plan.workstationPort, ...plan.hosts.flatMap((h) => [h.device, h.switchPort])]) {
    assert.ok(dev.length <= 15, dev);
  }
  assert.equal(plan.workstationCidr, '192.168.56.1/21');
});

test('the guard route covers the whole lab subnet, behind the link route', () => {
  assert.equal(plan.subnet, '192.168.56.0/21');
  assert.ok(plan.guardMetric > 0);
});

test('each host owns its role directories under the state dir; only /etc ones are seeded', () => {
  const ejabberd1 = plan.hosts.find((h) => h.host.name === 'ejabberd1')!;
  const targets = ejabberd1.binds.map((b) => b.target);
  assert.ok(targets.includes('/var/lib/ejabberd') && targets.includes('/etc/ejabberd') && targets.includes('/run/chatlab'));
  assert.ok(!targets.includes('/etc/prosody'));
  for (const b of ejabberd1.binds) {
    assert.equal(b.source, `/state/hosts/ejabberd1${b.target}`);
    assert.equal(b.seed, b.target.startsWith('/etc/'));
  }
  const client = plan.hosts.find((h) => h.host.role === 'client')!;
  assert.deepEqual(client.binds.map((b) => b.target), ['/run/chatlab', '/var/log/chatlab']);
});

test('a command for a host runs in its namespace with its binds, the command last and unchanged', () => {
  const h = plan.hosts.find((x) => x.host.name === 'prosody')!;
  const argv = hostArgv(h, ['sh', '-c', 'echo "$1"', 'x y']);
  assert.deepEqual(argv.slice(0, 4), ['ip', 'netns', 'exec', 'chatlab-prosody']);
  assert.deepEqual(argv.slice(-5), ['--', 'sh', '-c', 'echo "$1"', 'x y']);
  assert.equal(argv.filter((a) => a === '/var/lib/mysql').length, 1);
});

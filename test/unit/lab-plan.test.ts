// Specification of the namespace plan: what `chatlab up` will build, checked without root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lab as spec } from '../../provision/lab.ts';
import { defineLab } from '../../provision/validate.ts';
import { hostArgv, outsidePath, planNetns } from '../../provision/lab/plan.ts';
import { guardRouteArgs } from '../../provision/lab/network.ts';
import { generateAll } from '../../provision/generate/index.ts';
import { HAPROXY_ADMIN_SOCKET } from '../../provision/roles.ts';

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

/** The kernel's choice among routes: the longest prefix that matches, then the lowest metric. */
type Route = { dst: string; metric: number; via: string };
const toInt = (a: string) => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
function matches(route: Route, address: string): boolean {
  const [network, bits] = route.dst.split('/');
  const size = 2 ** (32 - Number(bits));
  return Math.floor(toInt(address) / size) === Math.floor(toInt(network!) / size);
}
function lookup(routes: Route[], address: string): string {
  const candidates = routes.filter((r) => matches(r, address));
  const rank = (r: Route) => Number(r.dst.split('/')[1]) * 1e6 - r.metric;
  candidates.sort((a, b) => rank(b) - rank(a));
  // Same prefix and metric: `ip route add` refuses the second ("File exists").
  if (candidates.length > 1 && rank(candidates[0]!) === rank(candidates[1]!)) return 'refused';
  return candidates[0]?.via ?? 'default route';
}
const addressOf = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

for (const subnet of ['192.168.56.0/21', '10.9.8.0/24']) {
  test(`the guard route covers the whole lab subnet, behind the link route (${subnet})`, () => {
    const p = planNetns(defineLab({ ...structuredClone(spec), subnet }), '/state');
    const args = guardRouteArgs(p);
    assert.deepEqual(args.slice(0, 3), ['route', 'add', 'unreachable']);
    const guard: Route = { dst: args[3]!, metric: Number(args[5]), via: 'unreachable' };
    // `ip addr replace` of the workstation address makes the kernel's link route: its network, metric 0.
    const [address, bits] = p.workstationCidr.split('/');
    const size = 2 ** (32 - Number(bits));
    const link: Route = { dst: `${addressOf(Math.floor(toInt(address!) / size) * size)}/${bits}`, metric: 0, via: p.workstationDevice };
    assert.equal(guard.dst, link.dst, 'ip route add takes the network address, at the prefix of the link route');
    const first = toInt(guard.dst.split('/')[0]!);
    const lab = Array.from({ length: size }, (_, i) => addressOf(first + i));
    assert.deepEqual(lab.filter((a) => lookup([link, guard], a) !== p.workstationDevice), [], 'with the adapter up, every lab address goes to it');
    assert.deepEqual(lab.filter((a) => lookup([guard], a) !== 'unreachable'), [], 'without it, none leaves the machine');
    for (const h of p.hosts) assert.equal(lookup([guard], h.host.address), 'unreachable', h.host.name);
    assert.equal(lookup([link, guard], addressOf(first + size)), 'default route', 'the next network is not the lab');
  });
}

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

test("HAProxy's admin socket, where its generated config puts it, is reached from this machine through the host's own directory", () => {
  const cfg = generateAll(defineLab(spec)).find((f) => f.path === 'haproxy/haproxy.cfg')!.content;
  const socket = /^\s+stats socket (\S+) /m.exec(cfg)?.[1];
  assert.equal(socket, HAPROXY_ADMIN_SOCKET, 'the socket status and load read');
  const haproxy = plan.hosts.find((h) => h.host.role === 'haproxy')!;
  assert.equal(outsidePath(haproxy, socket), '/state/hosts/haproxy/run/haproxy/admin.sock');
  assert.throws(() => outsidePath(haproxy, '/var/run/haproxy.sock'), /none of haproxy's own directories/);
});

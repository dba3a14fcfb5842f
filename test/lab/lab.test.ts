// Specification of the namespace lab, against the real servers it runs.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { chatlab, chatlabArgv, ensureLab, hostPids, labStatus, testLabModel } from './fixture.ts';
import { Accounts, EJABBERD, PROSODY } from './proof-lib.ts';
import { projectRoot } from '../../provision/paths.ts';
import type { LabStatus } from '../../provision/lab/status.ts';
import type { Role } from '../../provision/model.ts';
import { DATABASE } from '../../provision/generate/prosody.ts';

// The two nodes the fault tests take down, named in their titles: from the model, before the lab is up.
const [firstNode, secondNode] = (await testLabModel()).ejabberd.map((n) => n.host.name) as [string, string];

let status: LabStatus;
before(async () => {
  status = await ensureLab();
});

const nodes = () => status.ejabberd.map((n) => n.node).sort();
/** The name of the lab's host of a role (one of each, but for ejabberd's nodes). */
const hostOf = (role: Role) => status.hosts.find((h) => h.role === role)!.name;
const waitFor = async (what: string, probe: () => Promise<boolean>, ms: number) => {
  const end = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > end) assert.fail(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
};
/** A node's Erlang name, and the cluster it sees, by its host name. */
const nodeOf = (host: string) => status.ejabberd.find((n) => n.host === host)!.node;
const clusterOf = (s: LabStatus, host: string) => s.ejabberd.find((n) => n.host === host)!.cluster;
const clusterWhole = async () => {
  const s = await labStatus();
  return s.ejabberd.every((n) => JSON.stringify(n.cluster) === JSON.stringify(nodes()));
};

test('given the lab, every host is up with its servers, and every node sees the whole cluster', () => {
  assert.equal(status.up, true);
  const commands = (host: string) => status.hosts.find((h) => h.name === host)!.processes.map((p) => p.command);
  assert.ok(commands(hostOf('prosody')).includes('mariadbd'));
  assert.ok(commands(hostOf('prosody')).some((c) => c.startsWith('lua')), 'prosody runs (as lua)');
  assert.ok(commands(hostOf('haproxy')).includes('haproxy') && commands(hostOf('haproxy')).includes('named'));
  for (const n of status.ejabberd) {
    assert.ok(commands(n.host).includes('beam.smp'), `${n.host} runs ejabberd`);
    assert.deepEqual(n.cluster, nodes(), `${n.host} sees every node`);
  }
  assert.ok(status.ejabberd.length >= 2);
  // Both of HAProxy's backends (clients, peer servers) have every node, UP.
  assert.deepEqual(status.haproxy?.map((s) => s.server.split('/')[1]).sort(), [...status.ejabberd, ...status.ejabberd].map((n) => n.host).sort());
  assert.ok(status.haproxy?.every((s) => s.status === 'UP'), JSON.stringify(status.haproxy));
});

test('from the client host, SRV and A lookups through the lab DNS find both services', async () => {
  const dig = async (...q: string[]) => (await chatlab('exec', hostOf('client'), '--', 'dig', '+short', ...q)).stdout.trim();
  for (const { domain, server } of status.domains) {
    const target = status.hosts.find((h) => h.name === server)!.fqdn;
    assert.equal(await dig('SRV', `_xmpp-client._tcp.${domain}`), `0 5 ${status.ports.c2s} ${target}.`);
  }
  for (const n of status.ejabberd) assert.equal(await dig('A', n.node.split('@')[1]!), n.address);
  // Not a resolver: names outside the lab get no answer, so nothing is looked up beyond the machine.
  assert.equal(await dig('A', 'debian.org'), '');
});

test('the guard route turns a lab address into a local error once the adapter is gone', async () => {
  assert.equal(status.guardRoute, true);
  const route = async () => execa('ip', ['route', 'get', status.dnsServer], { reject: false });
  assert.match((await route()).stdout, new RegExp(`dev ${status.workstationDevice}`));
  await execa('ip', ['link', 'set', status.workstationDevice, 'down']);
  try {
    const r = await route();
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stderr, /No route to host/);
  } finally {
    await execa('ip', ['link', 'set', status.workstationDevice, 'up']);
  }
  assert.match((await route()).stdout, new RegExp(`dev ${status.workstationDevice}`));
});

test('each host listens only where it must, and the client host reaches no admin surface', async () => {
  const { ports } = status;
  const client = hostOf('client');
  const listening = async (host: string) =>
    [...new Set((await chatlab('exec', host, '--', 'ss', '-ltnH')).stdout.split('\n').filter(Boolean).map((l) => l.split(/\s+/)[3]!))]
      .filter((a) => !a.startsWith('127.'))
      .map((a) => Number(a.split(':').pop()))
      .sort((a, b) => a - b);
  const sorted = (...list: number[]) => list.sort((a, b) => a - b);
  assert.deepEqual(await listening(hostOf('haproxy')), sorted(ports.dns, ports.c2s, ports.s2s), 'HAProxy stats are a unix socket only');
  assert.deepEqual(await listening(hostOf('prosody')), sorted(ports.c2s, ports.s2s), 'MariaDB is not on the network');
  for (const n of status.ejabberd) {
    assert.deepEqual(await listening(n.host), sorted(ports.erlangDist, ports.c2s, ports.c2sProxied, ports.s2s));
    const connect = async (from: string, port: number) =>
      (await chatlab('exec', from, '--', 'timeout', '3', 'bash', '-c', `exec 3<>/dev/tcp/${n.address}/${port}`)).exitCode;
    assert.notEqual(await connect(client, ports.erlangDist), 0, `Erlang distribution of ${n.host} refused to the client host`);
    assert.notEqual(await connect(client, ports.c2sProxied), 0, `PROXY port of ${n.host} refused to the client host`);
    assert.notEqual(await connect(client, ports.s2s), 0, `s2s port of ${n.host} (PROXY protocol) refused to the client host`);
    assert.equal(await connect(client, ports.c2s), 0, `client port of ${n.host} open`);
    assert.equal(await connect(hostOf('haproxy'), ports.c2sProxied), 0, `HAProxy reaches the PROXY port of ${n.host}`);
    assert.equal(await connect(hostOf('haproxy'), ports.s2s), 0, `HAProxy reaches the s2s port of ${n.host}`);
  }
  const [first, peer] = status.ejabberd;
  assert.equal((await chatlab('exec', peer!.host, '--', 'timeout', '3', 'bash', '-c', `exec 3<>/dev/tcp/${first!.address}/${ports.erlangDist}`)).exitCode, 0, 'nodes reach each other');
});

test('lab secrets are mode 600, git-ignored, and every node has the one random cookie', async () => {
  const dir = status.secretsDir;
  assert.equal((await stat(dir)).mode & 0o777, 0o700);
  for (const name of await readdir(dir, { recursive: true })) {
    const st = await stat(path.join(dir, name));
    assert.equal(st.mode & 0o777, st.isDirectory() ? 0o700 : 0o600, name);
  }
  const ignored = await execa('git', ['check-ignore', '-q', path.join(dir, 'ca.key')], { cwd: projectRoot, reject: false });
  assert.equal(ignored.exitCode, 0, 'the CA key is git-ignored');
  const cookie = await readFile(path.join(dir, 'erlang.cookie'), 'utf8');
  assert.match(cookie, /^[A-Za-z0-9]{32}$/);
  for (const n of status.ejabberd) {
    const r = await chatlab('exec', n.host, '--', 'cat', '/var/lib/ejabberd/.erlang.cookie');
    assert.equal(r.stdout, cookie, `${n.host} uses the lab cookie`);
  }
});

test('a second `chatlab up` on a running lab changes nothing and restarts nothing', async () => {
  const before = await labStatus();
  const r = await chatlab('up');
  assert.equal(r.exitCode, 0, r.stderr);
  const provisioned = r.stderr.split('\n').filter((l) => /provisioned/.test(l));
  assert.equal(provisioned.length, status.hosts.filter((h) => h.role !== 'client').length, r.stderr);
  for (const line of provisioned) assert.match(line, /already provisioned: nothing changed/);
  const after = await labStatus();
  for (const h of status.hosts.filter((h) => h.role !== 'client')) assert.deepEqual(hostPids(after, h.name), hostPids(before, h.name), h.name);
});

test('given the lab, when an admin registers 8 accounts side by side on each server, then every registration succeeds', async () => {
  // Scripts provision users in parallel. On Prosody each write is DELETE then INSERT in MariaDB,
  // which deadlocked (one register failing) under the default REPEATABLE READ isolation.
  // Accounts.make registers them all at once and fails on any registration that does not exit 0.
  const accounts = await Accounts.create(status);
  try {
    const names = Array.from({ length: 8 }, (_, i) => `par${i}`);
    for (const domain of [PROSODY, EJABBERD]) await accounts.make(domain, ...names);
  } finally {
    await accounts.drop();
  }
});

test("given Prosody's MariaDB, when two key-value writes for new users interleave, then both commit", async () => {
  // Prosody's own statements for a key-value store write, in the order that deadlocks under
  // REPEATABLE READ: each DELETE of a not-yet-existing row locks the same gap, so neither INSERT
  // can go on. Rolled back at the end: nothing stays in Prosody's tables.
  const run = randomBytes(3).toString('hex');
  const sessions = ['a', 'b'].map((name) => new SqlSession(hostOf('prosody'), `zz${run}${name}`));
  const [a, b] = sessions as [SqlSession, SqlSession];
  try {
    await a.step('BEGIN');
    await b.step('BEGIN');
    await a.step(a.delete);
    await b.step(b.delete);
    const aInsert = a.step(a.insert);
    await new Promise((r) => setTimeout(r, 300));
    const bInsert = b.step(b.insert);
    await Promise.all([aInsert, bInsert]);
    assert.deepEqual(sessions.map((s) => s.errors()), ['', ''], 'every statement succeeds');
  } finally {
    await Promise.all(sessions.map((s) => s.close()));
  }
});

/** One `mariadb` client session on Prosody's host, in its database, fed a statement at a time. */
class SqlSession {
  private readonly child;
  private out = '';
  private err = '';
  private steps = 0;
  readonly delete: string;
  readonly insert: string;
  constructor(host: string, user: string) {
    // Prosody keeps every store in one table, named `prosody` like its database here.
    const key = `host='${PROSODY}' AND user='${user}' AND store='accounts'`;
    this.delete = `DELETE FROM prosody WHERE ${key}`;
    this.insert = `INSERT INTO prosody (host, user, store, \`key\`, type, value) VALUES ('${PROSODY}', '${user}', 'accounts', 'password', 'string', 'x')`;
    // --force: a failed statement is reported and the session goes on; -n: each result is flushed at once.
    this.child = execa('node', chatlabArgv('exec', host, '--', 'mariadb', '--force', '-n', '-N', DATABASE), {
      reject: false, timeout: 60_000, buffer: false,
    });
    this.child.stdout!.on('data', (d: Buffer) => (this.out += d));
    this.child.stderr!.on('data', (d: Buffer) => (this.err += d));
  }
  /** Runs a statement; resolves once the server has answered it (or failed it). */
  async step(sql: string): Promise<void> {
    const marker = `step-${++this.steps}`;
    this.child.stdin!.write(`${sql};\nSELECT '${marker}';\n`);
    const end = Date.now() + 20_000;
    while (!this.out.includes(`${marker}\n`)) {
      if (Date.now() > end) assert.fail(`no answer to ${sql}: ${this.err}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  errors(): string {
    return this.err.trim();
  }
  async close(): Promise<void> {
    this.child.stdin!.end('ROLLBACK;\n');
    await this.child;
  }
}

test(`after \`chatlab kill ${firstNode}\`, the other node runs on alone and \`chatlab up\` brings it back into the cluster`, async () => {
  const r = await chatlab('kill', firstNode);
  assert.equal(r.exitCode, 0, r.stderr);
  let s = await labStatus();
  assert.deepEqual(hostPids(s, firstNode), [], 'power-off leaves no process');
  const killed = nodeOf(firstNode);
  await waitFor(`${secondNode} notices`, async () => clusterOf(await labStatus(), secondNode)?.includes(killed) === false, 20_000);
  const up = await chatlab('up');
  assert.equal(up.exitCode, 0, up.stderr);
  s = await labStatus();
  assert.ok(hostPids(s, firstNode).length > 0);
  await waitFor('one cluster again', clusterWhole, 20_000);
});

test(`a pulled cable (\`chatlab cut ${secondNode}\`) splits the cluster; after heal, \`chatlab recover\` makes it one again`, { timeout: 120_000 }, async () => {
  assert.equal((await chatlab('cut', secondNode)).exitCode, 0);
  try {
    const seed = nodeOf(firstNode);
    await waitFor(`${secondNode} cut off from the seed`, async () => clusterOf(await labStatus(), secondNode)?.includes(seed) === false, 40_000);
    assert.equal((await labStatus()).hosts.find((h) => h.name === secondNode)!.cable, false);
  } finally {
    assert.equal((await chatlab('heal', secondNode)).exitCode, 0);
  }
  const r = await chatlab('recover');
  assert.equal(r.exitCode, 0, r.stderr);
  await waitFor('one cluster again', clusterWhole, 30_000);
});

test('`chatlab down` leaves nothing behind; `chatlab up` after a crash-like stop repairs the lab', { timeout: 300_000 }, async () => {
  // A session that stops leaves namespaces, routes and /etc/netns but no processes: make that.
  const current = await labStatus();
  for (const h of status.hosts) {
    for (const pid of hostPids(current, h.name)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Short-lived helper processes may already be gone.
      }
    }
  }
  let r = await chatlab('up');
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal((await labStatus()).up, true);
  await waitFor('one cluster again', clusterWhole, 20_000);

  r = await chatlab('down');
  assert.equal(r.exitCode, 0, r.stderr);
  const netns = (await execa('ip', ['netns', 'list'])).stdout;
  assert.doesNotMatch(netns, new RegExp(`^${status.name}-`, 'm'));
  assert.equal((await execa('ip', ['route', 'show', status.subnet])).stdout, '');
  assert.notEqual((await execa('ip', ['link', 'show', status.workstationDevice], { reject: false })).exitCode, 0);
  const etc = await readdir('/etc/netns').catch(() => []);
  assert.deepEqual(etc.filter((e) => e.startsWith(`${status.name}-`)), []);
  for (const h of status.hosts) {
    for (const p of h.processes) assert.equal(await stat(`/proc/${p.pid}`).then(() => true, () => false), false, `${h.name} pid ${p.pid} is gone`);
  }
  const down = await chatlab('status');
  assert.equal(down.exitCode, 3, 'status says the lab is down');

  // Later tests (and people) expect a lab: bring it back.
  status = await ensureLab();
  assert.equal(status.up, true);
});

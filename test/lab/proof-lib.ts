// Helpers of the proof suite (issue 5): the real `rsxcc` run as a person or a cron job runs it,
// against the real lab, with every wait bounded. One helper per job; the scenarios only compose them.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { chatlab, chatlabArgv, ensureLab, labStatus } from './fixture.ts';
import { BackgroundProcess, runProcess, type Run } from './process.ts';
import { envCount, parseJsonLines, type Received } from './proof-count.ts';
import { projectRoot } from '../../provision/paths.ts';
import type { LabStatus } from '../../provision/lab/status.ts';
import { lab as spec } from '../../provision/lab.ts';
import { SQL_DATABASE } from '../../provision/generate/db.ts';
import { DATABASE } from '../../provision/generate/prosody.ts';
import type { Element } from '@xmpp/xml';

export * from './proof-count.ts';

export const rsxccBin = path.join(projectRoot, 'dist', 'rsxcc.js');
// The domains come from the model (a named lab keeps them); hosts from `chatlab status`.
export const EJABBERD = spec.domains.ejabberd;
export const PROSODY = spec.domains.prosody;

/** Concurrent rsxcc processes: enough to use both cores while the servers work, not more. */
export const CONCURRENCY = envCount('PROOF_CONCURRENCY', 6);

export const seed = envCount('PROOF_SEED', Date.now() % 1_000_000);

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it holds; fails with `what` after `ms`. The only way these tests wait for a state. */
export async function waitFor(what: string, probe: () => Promise<boolean> | boolean, ms: number, everyMs = 250): Promise<number> {
  const start = Date.now();
  while (!(await probe())) {
    if (Date.now() - start > ms) assert.fail(`${what}: not within ${ms} ms`);
    await sleep(everyMs);
  }
  return Date.now() - start;
}

export interface Account {
  jid: string;
  passwordFile: string;
}

/** The lab as the scenarios see it: addresses to connect to, CA, the lab's own accounts. */
export interface ProofLab {
  status: LabStatus;
  ca: string;
  /** host:port of each domain's public entry (HAProxy for ejabberd). */
  entry: Record<string, string>;
  /** ejabberd nodes by host name, with the address of their own client port. */
  nodes: Array<{ host: string; node: string; address: string }>;
  subnet: string;
}

export async function proofLab(): Promise<ProofLab> {
  const status = await ensureLab();
  return {
    status,
    ca: status.caFile,
    entry: Object.fromEntries(status.domains.map((d) => [d.domain, d.connect])),
    nodes: status.ejabberd.map((n) => ({ host: n.host, node: n.node, address: `${n.address}:${status.ports.c2s}` })),
    subnet: status.subnet,
  };
}

/** A lab address with nothing behind it: inside the lab's own network, so no traffic leaves the machine. */
export function unusedLabAddress(lab: ProofLab): string {
  const [a, b, c] = lab.subnet.split('/')[0]!.split('.');
  return `${a}.${b}.${c}.250`;
}

/**
 * Accounts of this test run only (`p<run><name>`), so no other test's unread counts are touched.
 * Passwords are random and kept in a private temporary directory (mode 700, files 600).
 */
export class Accounts {
  private constructor(
    readonly dir: string,
    /** Where each server's accounts are managed: the first ejabberd node, Prosody's host. */
    private readonly admin: { ejabberd: string; prosody: string },
    private readonly made: Array<{ user: string; domain: string }> = [],
  ) {}
  static readonly run = randomBytes(3).toString('hex');

  static async create(status: LabStatus): Promise<Accounts> {
    const admin = { ejabberd: status.ejabberd[0]!.host, prosody: status.domains.find((d) => d.domain === PROSODY)!.server };
    return new Accounts(await mkdtemp(path.join(tmpdir(), 'rsxcc-proof-')), admin);
  }

  async make<N extends string[]>(domain: string, ...names: N): Promise<{ [K in keyof N]: Account }> {
    const made = await Promise.all(
      names.map(async (name) => {
        const user = `p${Accounts.run}${name}`;
        const password = randomBytes(12).toString('base64url');
        const r =
          domain === EJABBERD
            ? await chatlab('exec', this.admin.ejabberd, '--', 'ejabberdctl', 'register', user, domain, password)
            : await chatlab('exec', this.admin.prosody, '--', 'prosodyctl', 'register', user, domain, password);
        assert.equal(r.exitCode, 0, `register ${user}@${domain}: ${r.stdout}${r.stderr}`);
        this.made.push({ user, domain });
        const passwordFile = path.join(this.dir, `${user}@${domain}`);
        await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
        return { jid: `${user}@${domain}`, passwordFile };
      }),
    );
    return made as { [K in keyof N]: Account };
  }

  /** Removes the accounts (best effort: a node may be down after a failed scenario) and the passwords. */
  async drop(): Promise<void> {
    await Promise.all(
      this.made.map(({ user, domain }) =>
        domain === EJABBERD
          ? chatlab('exec', this.admin.ejabberd, '--', 'ejabberdctl', 'unregister', user, domain)
          : chatlab('exec', this.admin.prosody, '--', 'prosodyctl', 'deluser', `${user}@${domain}`),
      ),
    );
    await rm(this.dir, { recursive: true, force: true });
  }
}

export type { Run } from './process.ts';

export interface RunOptions {
  input?: string | Buffer;
  env?: Record<string, string>;
  /** Hard bound of the harness: a run still going then is killed and counted as a hang. */
  killAfterMs?: number;
}

/** Runs argv as a shell would run it (stdin closed unless given), bounded, with its timing. */
const runBounded = (argv: string[], options: RunOptions): Promise<Run> =>
  runProcess(argv, { input: options.input, env: options.env, timeoutMs: options.killAfterMs ?? 30_000 });

/** `rsxcc ARGS` on this machine. */
export const rsxcc = (args: string[], options: RunOptions = {}): Promise<Run> => runBounded(['node', rsxccBin, ...args], options);

/** `rsxcc ARGS` started as its users start it: the bundle itself, through its first line. */
export const rsxccAsInstalled = (args: string[], options: RunOptions = {}): Promise<Run> => runBounded([rsxccBin, ...args], options);

/** `rsxcc ARGS` on the lab's `client` host: its resolver is the lab DNS, so SRV lookups work. */
export const rsxccOnClient = (args: string[], options: RunOptions = {}): Promise<Run> =>
  runBounded(['node', ...chatlabArgv('exec', 'client', '--', 'node', rsxccBin, ...args)], options);

/** The arguments that log `account` in: password from a file (never on the command line), the lab CA. */
export const login = (lab: ProofLab, account: Account, server?: string): string[] => [
  '-j', account.jid, '-P', account.passwordFile, '-a', lab.ca, ...(server ? ['-x', server] : []),
];

export const send = (lab: ProofLab, from: Account, to: Account, body: string, server?: string, extra: string[] = []) =>
  rsxcc([...login(lab, from, server), '-T', '5', ...extra, '-t', to.jid, '-m', body]);

/** `rsxcc -c`: continuous mode in the background. */
export const listener = (args: string[]) => new Background([...args, '-c']);

/** A session of rsxcc's own code logged in as `account` at `server` (host:port), for fast senders. */
export async function openAs(lab: ProofLab, account: Account, server: string, onStanza?: (stanza: Element) => void) {
  const { openSession } = await import('../../xmpp/session.ts');
  const [host, port] = server.split(':') as [string, string];
  const password = (await readFile(account.passwordFile, 'utf8')).split('\n')[0]!;
  return openSession({ jid: account.jid, password, server: { host, port: Number(port) }, caFile: lab.ca, timeoutMs: 20_000, onStanza });
}

/**
 * Stores `bodies` as unread messages for `to`, fast: one session of rsxcc's own session code sends
 * them all and one ping confirms them (the stream is processed in order). This is set-up, not the
 * thing under test: scenarios that prove sending use the rsxcc command itself.
 */
export async function fillUnread(lab: ProofLab, from: Account, to: Account, bodies: readonly string[], server: string): Promise<void> {
  const { default: xml } = await import('@xmpp/xml');
  const session = await openAs(lab, from, server);
  try {
    for (const [i, body] of bodies.entries()) {
      await session.send(xml('message', { to: to.jid, type: 'chat', id: `fill-${i}` }, xml('body', {}, body)));
      // Confirm in slices so the server's input buffer and our time bound stay small.
      if (i % 200 === 199) await session.ping();
    }
    await session.ping();
  } finally {
    await session.close();
  }
}

export async function unread(lab: ProofLab, account: Account, server?: string): Promise<{ run: Run; messages: Received[] }> {
  const run = await rsxcc([...login(lab, account, server), '-T', '10', '-o', 'json', '-s']);
  return { run, messages: parseJsonLines(run.stdout) };
}

/** Reads until a run shows nothing new (bounded): "every message readable after" means this. */
export async function drainAll(lab: ProofLab, account: Account, server?: string, maxRuns = 5): Promise<Received[]> {
  const all: Received[] = [];
  for (let i = 0; i < maxRuns; i++) {
    const { run, messages } = await unread(lab, account, server);
    assert.equal(run.exitCode, 0, `rsxcc -s: ${run.stderr}`);
    if (messages.length === 0) return all;
    all.push(...messages);
  }
  assert.fail(`${account.jid}: unread messages kept coming after ${maxRuns} runs`);
}

/** The whole cluster as one: every node runs, sees every node, and HAProxy has them all UP. */
export async function clusterWhole(): Promise<boolean> {
  const s = await labStatus();
  const all = s.ejabberd.map((n) => n.node).sort();
  return (
    s.hosts.every((h) => h.up && h.cable) &&
    s.ejabberd.every((n) => JSON.stringify(n.cluster) === JSON.stringify(all)) &&
    s.ejabberd.every((n) => (s.haproxy ?? []).some((b) => b.server.endsWith(`/${n.host}`))) &&
    (s.haproxy ?? []).every((b) => b.status === 'UP')
  );
}

/**
 * Puts the lab back after a destructive scenario, whatever state it was left in: cables back,
 * powered-off hosts started, one cluster. Later tests (and other files) expect a whole lab.
 */
export async function restoreLab(): Promise<void> {
  const s = await labStatus();
  for (const h of s.hosts) if (h.up && !h.cable) await chatlab('heal', h.name);
  const up = await chatlab('up');
  assert.equal(up.exitCode, 0, `chatlab up: ${up.stderr}`);
  if (!(await clusterWhole())) await chatlab('recover');
  await waitFor('one whole cluster, every HAProxy backend UP', clusterWhole, 60_000, 500);
}

/**
 * Every proof file's set-up: the lab and a fresh set of accounts of its own before its tests; after
 * them the accounts are dropped and, for files that take hosts down (`restore`), the lab is made
 * whole again. `ready` receives both once they exist.
 */
export function proofSuite(ready: (lab: ProofLab, accounts: Accounts) => void | Promise<void>, { restore = false } = {}): void {
  let accounts: Accounts | undefined;
  before(async () => {
    const lab = await proofLab();
    accounts = await Accounts.create(lab.status);
    await ready(lab, accounts);
  });
  after(async () => {
    if (restore) await restoreLab();
    await accounts?.drop();
  });
}

/** proofSuite for a file that needs only the lab and its accounts: both on this object once the suite's before has run. */
export function proofFixture(options: { restore?: boolean } = {}): { readonly lab: ProofLab; readonly accounts: Accounts } {
  const fixture = {} as { lab: ProofLab; accounts: Accounts };
  proofSuite((lab, accounts) => void Object.assign(fixture, { lab, accounts }), options);
  return fixture;
}

/** `chatlab CMD HOST` that must work. */
export async function fault(command: 'kill' | 'start' | 'cut' | 'heal', host: string): Promise<number> {
  const start = Date.now();
  const r = await chatlab(command, host);
  assert.equal(r.exitCode, 0, `chatlab ${command} ${host}: ${r.stderr}`);
  return Date.now() - start;
}

/**
 * rsxcc running in the background (`-c`, or a `-s` to be killed): what it printed so far, its
 * notices on stderr, and a bounded stop. Output is asked for as JSON lines.
 */
export class Background extends BackgroundProcess {
  constructor(args: string[], env: Record<string, string> = {}) {
    super(['node', rsxccBin, ...args, '-o', 'json'], { env, timeoutMs: 600_000 });
  }

  messages(): Received[] {
    return parseJsonLines(this.stdout);
  }
  bodies(): string[] {
    return this.messages().map((m) => m.body);
  }
}

/** SQL for a server's own database, run on the host that has it; stdout trimmed. */
export async function sqlQuery(lab: ProofLab, domain: string, query: string): Promise<string> {
  const [host, database] = domain === EJABBERD ? [lab.status.db, SQL_DATABASE] : [lab.status.domains.find((d) => d.domain === PROSODY)!.server, DATABASE];
  assert.ok(host, 'the lab keeps ejabberd on SQL (storage: sql): it has a db host');
  const r = await chatlab('exec', host, '--', 'mariadb', '-N', database, '-e', query);
  assert.equal(r.exitCode, 0, `${query} on ${host}: ${r.stderr}`);
  return r.stdout.trim();
}

/**
 * Offline messages the server holds for `account`, counted in its database (not by any client):
 * ejabberd's spool table on the db host, Prosody's offline archive store.
 */
export async function storedOffline(lab: ProofLab, account: Account): Promise<number> {
  const [user, domain] = account.jid.split('@') as [string, string];
  const query = domain === EJABBERD
    ? `SELECT COUNT(*) FROM spool WHERE username='${user}'`
    : `SELECT COUNT(*) FROM prosodyarchive WHERE host='${domain}' AND user='${user}' AND store='offline'`;
  return Number(await sqlQuery(lab, domain, query));
}

/** The bodies of the offline messages the database holds for `account` (simple bodies only:
 *  the scenarios' own, no markup to unescape). */
export async function storedBodies(lab: ProofLab, account: Account): Promise<string[]> {
  const [user, domain] = account.jid.split('@') as [string, string];
  const query = domain === EJABBERD
    ? `SELECT xml FROM spool WHERE username='${user}'`
    : `SELECT value FROM prosodyarchive WHERE host='${domain}' AND user='${user}' AND store='offline'`;
  return [...(await sqlQuery(lab, domain, query)).matchAll(/<body>([^<]*)<\/body>/g)].map((m) => m[1]!);
}

/** The stored count once it has stopped changing for `quietMs` (a server re-storing a dead
 *  session's unacknowledged messages), bounded by `ms`. */
export async function settledOffline(lab: ProofLab, account: Account, quietMs = 2_000, ms = 60_000): Promise<number> {
  let last = await storedOffline(lab, account);
  let since = Date.now();
  await waitFor(`${account.jid}: stored count settles`, async () => {
    const now = await storedOffline(lab, account);
    if (now !== last) [last, since] = [now, Date.now()];
    return Date.now() - since >= quietMs;
  }, ms, 250);
  return last;
}

/**
 * Client connections (from HAProxy, port 5322) each ejabberd node holds now. ejabberd's session
 * table is cluster-wide, so "which node has this session" is read from the nodes' sockets: the
 * node whose count grows when a long-lived client logs in is the one that holds it.
 */
export async function proxiedConnections(lab: ProofLab): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const n of lab.nodes) {
    const r = await chatlab('exec', n.host, '--', 'ss', '-tnH', 'state', 'established', `( sport = :${lab.status.ports.c2sProxied} )`);
    counts[n.host] = r.stdout.split('\n').filter(Boolean).length;
  }
  return counts;
}

// The load accounts (load1..loadN, one password per lab), created in bulk: `ejabberdctl register`
// starts an Erlang VM per user (~0.5 s each), so ejabberd gets one XEP-0227 import for all of
// them and Prosody rows written straight into its SQL store, credentials precomputed here.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { chown, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { LabContext } from '../lab/runner.ts';
import { findHost, hostArgv } from '../lab/plan.ts';
import { run } from '../run.ts';
import { secretsDir } from '../paths.ts';
import { randomToken } from '../secrets.ts';
import { DATABASE } from '../generate/prosody.ts';
import { LabError } from '../errors.ts';
import type { Server } from './options.ts';

export const loadUser = (index: number) => `load${index}`;

/** SCRAM's minimum (RFC 5802) and ejabberd's default: each login costs the client this PBKDF2 too. */
export const SCRAM_ITERATIONS = 4096;

/** What Prosody 0.12's mod_auth_internal_hashed keeps per account: hex keys, the salt as text. */
export interface ProsodyCredentials {
  stored_key: string;
  server_key: string;
  salt: string;
  iteration_count: number;
}

export function scramSha1(password: string, salt: string, iterations = SCRAM_ITERATIONS): ProsodyCredentials {
  const salted = pbkdf2Sync(password, salt, iterations, 20, 'sha1');
  const clientKey = createHmac('sha1', salted).update('Client Key').digest();
  return {
    stored_key: createHash('sha1').update(clientKey).digest('hex'),
    server_key: createHmac('sha1', salted).update('Server Key').digest('hex'),
    salt,
    iteration_count: iterations,
  };
}

const sqlString = (text: string) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

/** Rows of Prosody's key-value table: one per credential field, typed as its storage_sql writes them. */
export function prosodyAccountsSql(domain: string, accounts: Array<{ user: string; credentials: ProsodyCredentials }>): string {
  const rows = accounts.flatMap(({ user, credentials }) =>
    Object.entries(credentials).map(([key, value]) =>
      `(${[domain, user, 'accounts', key, typeof value, String(value)].map(sqlString).join(',')})`,
    ),
  );
  const batches: string[] = [];
  // One statement per 1,000 rows keeps each under MariaDB's max_allowed_packet with room to spare.
  for (let i = 0; i < rows.length; i += 1000) {
    batches.push(`INSERT INTO prosody (host,user,store,\`key\`,type,value) VALUES\n${rows.slice(i, i + 1000).join(',\n')};`);
  }
  return `${batches.join('\n')}\n`;
}

const xmlAttr = (text: string) => text.replace(/&/g, '&amp;').replace(/'/g, '&apos;').replace(/</g, '&lt;');

/** XEP-0227 for `ejabberdctl import_piefxis`; ejabberd hashes the passwords itself (SCRAM storage). */
export function piefxis(domain: string, users: string[], password: string): string {
  const lines = users.map((u) => `    <user name='${xmlAttr(u)}' password='${xmlAttr(password)}'/>`);
  return `<?xml version='1.0' encoding='UTF-8'?>\n<server-data xmlns='urn:xmpp:pie:0'>\n  <host jid='${xmlAttr(domain)}'>\n${lines.join('\n')}\n  </host>\n</server-data>\n`;
}

/** The lab's load password: made once, mode 600 beside the other lab secrets. */
export async function loadPassword(state: string): Promise<string> {
  const file = path.join(secretsDir(state), 'load-password');
  const existing = await readFile(file, 'utf8').catch(() => undefined);
  if (existing) return existing.trim();
  const password = randomToken(24);
  await mkdir(secretsDir(state), { recursive: true, mode: 0o700 });
  await writeFile(file, `${password}\n`, { mode: 0o600, flag: 'wx' });
  return password;
}

function labHost(ctx: LabContext, name: string) {
  const h = findHost(ctx.plan, name);
  if (!h) throw new LabError(`lab ${ctx.lab.spec.name} has no host ${name}`);
  return h;
}

async function ejabberdAccounts(ctx: LabContext, wanted: string[], password: string): Promise<number> {
  const domain = ctx.lab.spec.domains.ejabberd;
  // Accounts live in the replicated database: the seed node imports them for the whole cluster.
  const seed = labHost(ctx, ctx.lab.ejabberd[0]!.host.name);
  const existing = new Set((await run(hostArgv(seed, ['ejabberdctl', 'registered_users', domain]), { timeoutMs: 120_000 })).stdout.split('\n'));
  const missing = wanted.filter((u) => !existing.has(u));
  if (!missing.length) return 0;
  // Written where the node itself can read it: its own /var/lib/ejabberd, owned by ejabberd.
  const name = `load-accounts-${process.pid}.xml`;
  const outside = path.join(seed.root, 'var/lib/ejabberd', name);
  await writeFile(outside, piefxis(domain, missing, password), { mode: 0o600 });
  try {
    const { stdout } = await run(['stat', '-c', '%u:%g', outside.replace(/[^/]+$/, '')], { timeoutMs: 30_000 });
    const [uid, gid] = stdout.trim().split(':').map(Number);
    await chown(outside, uid!, gid!);
    await run(hostArgv(seed, ['ejabberdctl', 'import_piefxis', `/var/lib/ejabberd/${name}`]), { timeoutMs: 600_000 });
  } finally {
    await rm(outside, { force: true });
  }
  return missing.length;
}

async function prosodyAccounts(ctx: LabContext, wanted: string[], password: string): Promise<number> {
  const domain = ctx.lab.spec.domains.prosody;
  const host = labHost(ctx, ctx.lab.prosody.name);
  const sql = (input: string) => run(hostArgv(host, ['mariadb', '-N', DATABASE]), { input, timeoutMs: 600_000 });
  const existing = new Set(
    (await sql(`SELECT DISTINCT user FROM prosody WHERE host=${sqlString(domain)} AND store='accounts' AND user LIKE 'load%';`)).stdout.split('\n'),
  );
  const missing = wanted.filter((u) => !existing.has(u));
  if (!missing.length) return 0;
  // A random salt per account, as Prosody makes them (a UUID there; any text works).
  const accounts = missing.map((user) => ({ user, credentials: scramSha1(password, randomBytes(12).toString('hex')) }));
  await sql(prosodyAccountsSql(domain, accounts));
  return missing.length;
}

/** Makes sure load1..loadN exist on the server's domain; returns the password and how many were new. */
export async function ensureLoadAccounts(ctx: LabContext, server: Server, count: number): Promise<{ password: string; created: number }> {
  const password = await loadPassword(ctx.state);
  const wanted = Array.from({ length: count }, (_, i) => loadUser(i + 1));
  const created = await (server === 'ejabberd' ? ejabberdAccounts : prosodyAccounts)(ctx, wanted, password);
  return { password, created };
}

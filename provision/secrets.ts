// Lab secrets: the Erlang cookie, account passwords, the lab CA and a certificate per domain (and,
// with SQL storage, the db host's certificate and ejabberd's database password).
// Made once into the git-ignored state directory (mode 600 files in a 700 directory) and reused,
// so every node and every run sees the same ones; missing pieces are added, and a certificate only
// replaced when the names or purposes it must carry changed.
import { randomBytes } from 'node:crypto';
import { access, chmod, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { serverNames, type Lab } from './model.ts';
import { passwordFile, secretsDir } from './paths.ts';
import { SQL_PASSWORD_SECRET } from './generate/db.ts';
import { run } from './run.ts';

const exists = (file: string) => access(file).then(() => true, () => false);

/** Letters and digits only: valid as an Erlang atom (cookie) and safe in any config syntax. */
export function randomToken(length: number): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  const bytes = randomBytes(length * 2);
  let out = '';
  // Rejection sampling keeps every character equally likely.
  for (const byte of bytes) {
    if (byte < 256 - (256 % alphabet.length)) out += alphabet[byte % alphabet.length];
    if (out.length === length) return out;
  }
  return out + randomToken(length - out.length);
}

async function writeSecret(file: string, content: string | Buffer): Promise<boolean> {
  if (await exists(file)) return false;
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, content, { mode: 0o600 });
  await chmod(file, 0o600);
  return true;
}

const openssl = (args: string[], cwd: string) => run(['openssl', ...args], { cwd, timeoutMs: 60_000 });

async function ensureCa(dir: string, made: string[]): Promise<void> {
  if (await exists(path.join(dir, 'ca.crt'))) return;
  await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '3650', '-subj', '/CN=chatlab lab CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  made.push('ca.key', 'ca.crt');
}

/**
 * A certificate from the lab CA for NAMES (DNS names; an IP address as an IP SAN). Made again when
 * the profile it was made with (kept beside it as NAME.ext) differs from today's, so a lab made
 * before a name or a purpose was added gets it without losing anything else.
 */
async function ensureCert(dir: string, file: string, names: string[], made: string[]): Promise<void> {
  const ext = path.join(dir, `${file}.ext`);
  const sans = names.map((n) => (/^[\d.]+$/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  // clientAuth too: a server opening an s2s stream presents this certificate as a client.
  const profile = `subjectAltName=${sans}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n`;
  const pem = path.join(dir, `${file}.pem`);
  if ((await exists(pem)) && (await readFile(ext, 'utf8').catch(() => '')) === profile) return;
  await Promise.all(['pem', 'key', 'crt'].map((suffix) => rm(path.join(dir, `${file}.${suffix}`), { force: true })));
  await writeFile(ext, profile, { mode: 0o600 });
  await openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', `${file}.key`, '-out', `${file}.csr`, '-subj', `/CN=${names[0]}`], dir);
  await openssl(['x509', '-req', '-in', `${file}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
    '-days', '825', '-extfile', ext, '-out', `${file}.crt`], dir);
  await rm(path.join(dir, `${file}.csr`));
  const [key, cert] = await Promise.all([readFile(path.join(dir, `${file}.key`)), readFile(path.join(dir, `${file}.crt`))]);
  // ejabberd wants key and certificate in one file.
  await writeSecret(pem, Buffer.concat([key, cert]));
  made.push(`${file}.key`, `${file}.crt`, `${file}.pem`);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * One maker at a time: `vagrant up` runs its trigger (`chatlab secrets`) for every machine at
 * once, and two makers replacing the same certificate delete each other's files. The lock is a
 * file made exclusively, holding its maker's pid; one whose maker is gone is taken over.
 */
async function exclusively<T>(dir: string, work: () => Promise<T>): Promise<T> {
  const lock = path.join(dir, '.lock');
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      await writeFile(lock, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
      if (holder > 0 && !alive(holder)) await rm(lock, { force: true });
      else if (Date.now() > deadline) throw new Error(`${lock}: held by pid ${holder} for 120 s`);
      else await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  try {
    return await work();
  } finally {
    await rm(lock, { force: true });
  }
}

/** Makes whatever is missing; returns the names of what it made. */
export async function ensureSecrets(lab: Lab, state: string): Promise<string[]> {
  const dir = secretsDir(state);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  return exclusively(dir, () => makeMissing(lab, state, dir));
}

async function makeMissing(lab: Lab, state: string, dir: string): Promise<string[]> {
  const made: string[] = [];
  if (await writeSecret(path.join(dir, 'erlang.cookie'), randomToken(32))) made.push('erlang.cookie');
  for (const account of lab.accounts) {
    if (await writeSecret(passwordFile(state, account.jid), randomToken(20))) made.push(`accounts/${account.jid}`);
  }
  await ensureCa(dir, made);
  for (const domain of [lab.spec.domains.prosody, lab.spec.domains.ejabberd]) await ensureCert(dir, domain, serverNames(domain), made);
  if (lab.db) {
    // Erlang's TLS, upgrading ejabberd's MariaDB connection, checks the peer's address, not its name.
    await ensureCert(dir, lab.db.fqdn, [lab.db.fqdn, lab.db.address], made);
    if (await writeSecret(path.join(dir, SQL_PASSWORD_SECRET), randomToken(32))) made.push(SQL_PASSWORD_SECRET);
  }
  // openssl honours the caller's umask: every file here ends up 600 regardless.
  for (const name of await readdir(dir, { recursive: true })) {
    const full = path.join(dir, name);
    await chmod(full, (await stat(full)).isDirectory() ? 0o700 : 0o600);
  }
  return made;
}

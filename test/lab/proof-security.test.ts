// Proof scenario 8: security of rsxcc against the lab. The lab's own side (secrets mode 600 and
// git-ignored, the random per-lab cookie, HAProxy stats and admin ports unreachable from the client
// host) is specified in test/lab/lab.test.ts ("lab secrets are mode 600 ...", "each host listens only
// where it must ..."): not repeated here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { execa } from 'execa';
import path from 'node:path';
import {
  Accounts, Background, EJABBERD, PROSODY, fmt, login, proofSuite, rsxcc, rsxccAsInstalled, waitFor, type Account, type ProofLab,
} from './proof-lib.ts';

let lab: ProofLab;
let accounts: Accounts;
const who: Record<string, Account> = {};
proofSuite(async (l, a) => {
  lab = l;
  accounts = a;
  [who[EJABBERD]] = await accounts.make(EJABBERD, 'sa');
  [who[PROSODY]] = await accounts.make(PROSODY, 'sa');
});

/** A CA that signed nothing in the lab (made once per run). */
let otherCaFile: Promise<string> | undefined;
function otherCa(): Promise<string> {
  otherCaFile ??= (async () => {
    const file = path.join(accounts.dir, 'other-ca.crt');
    await execa('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=Not the lab CA',
      '-keyout', path.join(accounts.dir, 'other-ca.key'), '-out', file]);
    return file;
  })();
  return otherCaFile;
}

for (const domain of [EJABBERD, PROSODY]) {
  test(`given a CA that did not sign ${domain}'s certificate, or none but the system's, then rsxcc refuses (69) before sending a password`, async (t) => {
    const other = await otherCa();
    const a = who[domain]!;
    const wrongCa = await rsxcc(['-j', a.jid, '-P', a.passwordFile, '-a', other, '-x', lab.entry[domain]!, '-d', '-s']);
    const systemOnly = await rsxcc(['-j', a.jid, '-P', a.passwordFile, '-x', lab.entry[domain]!, '-d', '-s']);
    // -K: the one explicit way to skip verification works, and says so loudly.
    const insecure = await rsxcc(['-j', a.jid, '-P', a.passwordFile, '-K', '-x', lab.entry[domain]!, '-s']);
    t.diagnostic(fmt({ wrong_ca_exit: String(wrongCa.exitCode), system_ca_exit: String(systemOnly.exitCode), insecure_exit: String(insecure.exitCode) }));
    for (const r of [wrongCa, systemOnly]) {
      assert.equal(r.exitCode, 69, r.stderr);
      assert.match(r.stderr, /certificate/);
      assert.doesNotMatch(r.stderr, /<auth\b/, 'no SASL exchange was started');
    }
    assert.equal(insecure.exitCode, 0, insecure.stderr);
    assert.match(insecure.stderr, /WARNING: -K/);
  });
}

test('given NODE_EXTRA_CA_CERTS naming the lab CA and no -a, then rsxcc as installed verifies the server with it; an unreadable file is a warning, then a refusal (69)', async (t) => {
  const a = who[EJABBERD]!;
  const args = ['-j', a.jid, '-P', a.passwordFile, '-x', lab.entry[EJABBERD]!, '-s'];
  // Its first line moves the variable out of Node's way (parsed at start-up) and rsxcc reads it
  // when connecting: the trust it gives must be the same as Node's own.
  const withExtra = (file: string) => ({ env: { PATH: process.env.PATH!, NODE_EXTRA_CA_CERTS: file } });
  const trusted = await rsxccAsInstalled(args, withExtra(lab.ca));
  const missing = await rsxccAsInstalled(args, withExtra('/nonexistent/ca.pem'));
  t.diagnostic(fmt({ trusted_exit: String(trusted.exitCode), missing_exit: String(missing.exitCode) }));
  assert.equal(trusted.exitCode, 0, trusted.stderr);
  assert.equal(missing.exitCode, 69, missing.stderr);
  assert.match(missing.stderr, /^rsxcc: warning: ignoring extra CA certificates from \/nonexistent\/ca\.pem: /);
  assert.match(missing.stderr, /certificate/);
});

test("given no -a, then rsxcc as installed trusts the system's CA directory (SSL_CERT_DIR), NODE_EXTRA_CA_CERTS adds to it; SSL_CERT_FILE is ignored, as Node ignores it", async (t) => {
  const a = who[PROSODY]!;
  const args = ['-j', a.jid, '-P', a.passwordFile, '-x', lab.entry[PROSODY]!, '-s'];
  // A CA directory as update-ca-certificates leaves it: PEM files behind subject-hash names.
  const dir = path.join(accounts.dir, 'certs');
  await mkdir(dir);
  const hash = (await execa('openssl', ['x509', '-noout', '-subject_hash', '-in', lab.ca])).stdout.trim();
  await copyFile(lab.ca, path.join(dir, `${hash}.0`));
  const env = (extra: Record<string, string>) => ({ env: { PATH: process.env.PATH!, ...extra } });
  const inDirectory = await rsxccAsInstalled(args, env({ SSL_CERT_DIR: dir }));
  const notInDirectory = await rsxccAsInstalled(args, env({ SSL_CERT_DIR: path.join(accounts.dir, 'empty') }));
  const bundleFile = await rsxccAsInstalled(args, env({ SSL_CERT_DIR: path.join(accounts.dir, 'empty'), SSL_CERT_FILE: lab.ca }));
  // An extra CA file is added to the system's store, not put in its place.
  const withExtra = await rsxccAsInstalled(args, env({ SSL_CERT_DIR: dir, NODE_EXTRA_CA_CERTS: await otherCa() }));
  t.diagnostic(fmt({
    in_directory: String(inDirectory.exitCode), not_in_directory: String(notInDirectory.exitCode),
    bundle_file: String(bundleFile.exitCode), directory_and_extra: String(withExtra.exitCode),
  }));
  for (const r of [inDirectory, withExtra]) assert.equal(r.exitCode, 0, r.stderr);
  for (const r of [notInDirectory, bundleFile]) {
    assert.equal(r.exitCode, 69, r.stderr);
    assert.match(r.stderr, /certificate we do not trust/);
  }
});

test('given a server that offers no STARTTLS, then rsxcc refuses (69) and never sends credentials in plaintext', async (t) => {
  // A fake server on loopback: stream header and features with PLAIN only, no <starttls/>.
  const received: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('data', (d) => {
      received.push(d.toString());
      if (d.toString().includes('<stream:stream')) {
        s.write("<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' from='ejabberd.chat.test' id='x' version='1.0'>" +
          "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>");
      }
    });
    s.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  try {
    const a = who[EJABBERD]!;
    const r = await rsxcc(['-j', a.jid, '-P', a.passwordFile, '-a', lab.ca, '-x', `127.0.0.1:${port}`, '-T', '3', '-s']);
    const password = (await readFile(a.passwordFile, 'utf8')).trim();
    const wire = received.join('');
    t.diagnostic(fmt({ exit: String(r.exitCode), bytes_received_by_fake_server: wire.length, auth_sent: String(/<auth\b/.test(wire)) }));
    assert.equal(r.exitCode, 69, r.stderr);
    assert.match(r.stderr, /TLS|STARTTLS|encrypt/i);
    assert.doesNotMatch(wire, /<auth\b/);
    assert.ok(!wire.includes(password) && !wire.includes(Buffer.from(`\0${a.jid.split('@')[0]}\0${password}`).toString('base64')));
  } finally {
    for (const s of sockets) s.destroy();
    server.close();
  }
});

/** The command line of a running process as `ps` shows it to every user. */
const psArgs = async (pid: number) => (await execa('ps', ['-o', 'args=', '-p', String(pid)], { reject: false })).stdout;

for (const source of ['XMPP_PASSWORD', '-P FILE', '-p (after start-up)'] as const) {
  test(`given the password by ${source}, then a running rsxcc does not show it in ps, and -d output redacts it`, async (t) => {
    const a = who[PROSODY]!;
    const password = (await readFile(a.passwordFile, 'utf8')).trim();
    const base = ['-j', a.jid, '-a', lab.ca, '-x', lab.entry[PROSODY]!, '-v', '-d'];
    const args = source === 'XMPP_PASSWORD' ? base : source === '-P FILE' ? [...base, '-P', a.passwordFile] : [...base, '-p', password];
    // The env of the child is readable only by its owner (/proc/PID/environ is 0400); ps shows argv.
    const run = new Background([...args, '-c'], source === 'XMPP_PASSWORD' ? { XMPP_PASSWORD: password } : {});
    try {
      await waitFor('logged in and following', () => run.stderr.includes('waiting for messages'), 15_000, 50);
      const shown = await psArgs(run.pid);
      t.diagnostic(fmt({ ps: JSON.stringify(shown.slice(0, 80)) }));
      assert.ok(shown.length > 0, 'the process is there');
      assert.ok(!shown.includes(password), `ps shows the password: ${shown}`);
    } finally {
      await run.stop();
    }
    assert.ok(!run.stderr.includes(password), 'the password is not in the debug output');
    // SCRAM's first message holds no password, but PLAIN would: a base64 of the password must not appear either.
    assert.ok(!run.stderr.includes(Buffer.from(password).toString('base64').replace(/=+$/, '')), 'no encoded password in the debug output');
  });
}

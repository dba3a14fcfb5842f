// Proof scenario 7: a generated corpus of bad input (arguments, JIDs, bodies, stdin bytes, passwords,
// hosts, CA files). For every case: the exit status rsxcc -h documents (64 usage, 65 bad data,
// 69 unavailable, 75 time-out, 77 authentication), a short error on stderr and no stack trace,
// and an end within the time-out it was given (-T 3 here; the harness kills at 15 s = a hang).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { usageLine } from '../../cli/options/help.ts';
import {
  Accounts, CONCURRENCY, EJABBERD, fmt, hasStackTrace, login, pool, proofSuite, rsxcc, rsxccOnClient, unusedLabAddress,
  type Account, type ProofLab, type Run,
} from './proof-lib.ts';

const HANG_MS = 15_000;
const T = '3';

interface Case {
  name: string;
  args: string[];
  expect: number;
  input?: string | Buffer;
  /** Run on the lab's client host (names resolved by the lab DNS, never by this machine's resolver). */
  onClient?: boolean;
}

let lab: ProofLab;
let accounts: Accounts;
let alice: Account;
let bob: Account;
proofSuite(async (l, a) => {
  lab = l;
  accounts = a;
  [alice, bob] = await accounts.make(EJABBERD, 'ba', 'bb');
});

/** Files the corpus points at: made per run in the accounts' private directory. */
async function files(dir: string) {
  const f = (name: string) => path.join(dir, name);
  await writeFile(f('empty'), '', { mode: 0o600 });
  await writeFile(f('garbage.pem'), 'not a certificate\n', { mode: 0o600 });
  await writeFile(f('wrong-password'), 'not-the-password\n', { mode: 0o600 });
  await writeFile(f('bad-config'), 'this is not = [a config\n[defaults\n', { mode: 0o600 });
  await writeFile(f('unknown-key-config'), '[defaults]\ncolour = blue\n', { mode: 0o600 });
  // A CA that signed nothing of the lab's: a valid PEM that must not make the lab's certificate trusted.
  await execa('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=Not the lab CA',
    '-keyout', f('other-ca.key'), '-out', f('other-ca.crt')]);
  return f;
}

function corpus(f: (name: string) => string): Case[] {
  const entry = lab.entry[EJABBERD]!;
  const me = login(lab, alice, entry);
  const cases: Case[] = [];
  const add = (c: Case) => cases.push(c);

  // Options: unknown, missing arguments, conflicting modes, bad values. All before any connection.
  for (const o of ['-z', '-Q', '-1', '--long', '-S']) add({ name: `unknown option ${o}`, args: [...me, o, '-s'], expect: 64 });
  for (const o of ['-j', '-p', '-P', '-f', '-x', '-a', '-o', '-T', '-w', '-t', '-m']) add({ name: `missing argument of ${o}`, args: [o], expect: 64 });
  add({ name: 'nothing to do', args: [...me], expect: 64 });
  add({ name: '-s and -c', args: [...me, '-s', '-c'], expect: 64 });
  add({ name: '-t and -s', args: [...me, '-t', bob.jid, '-m', 'x', '-s'], expect: 64 });
  add({ name: '-m without -t', args: [...me, '-m', 'x', '-s'], expect: 64 });
  add({ name: 'no account', args: ['-P', alice.passwordFile, '-f', f('empty'), '-s'], expect: 64 });
  for (const v of ['xml', '', 'JSON', 'text ']) add({ name: `output format ${JSON.stringify(v)}`, args: [...me, '-o', v, '-s'], expect: 64 });
  for (const v of ['0', '-1', 'abc', '99999', '1e3', '']) add({ name: `time-out ${JSON.stringify(v)}`, args: [...me, '-T', v, '-s'], expect: 64 });
  for (const v of ['-5', 'soon', '10001']) add({ name: `quiet window ${JSON.stringify(v)}`, args: [...me, '-w', v, '-s'], expect: 64 });
  for (const v of ['host:0', 'host:65536', 'host:port', ':5222', '[::1', 'a:b:c', '']) add({ name: `server ${JSON.stringify(v)}`, args: [...me, '-x', v, '-s'], expect: 64 });
  add({ name: 'config file missing', args: [...me, '-f', f('no-such-config'), '-s'], expect: 64 });
  add({ name: 'config file malformed', args: [...me, '-f', f('bad-config'), '-s'], expect: 64 });
  add({ name: 'config file unknown key', args: [...me, '-f', f('unknown-key-config'), '-s'], expect: 64 });

  // JIDs, as the account and as the recipient: invalid ones are bad data (65), found before connecting.
  const badJids = ['', '@ejabberd.chat.test', 'bob@', 'bob@ejabberd.chat.test/', 'b ob@ejabberd.chat.test', 'b"ob@ejabberd.chat.test',
    "b'ob@ejabberd.chat.test", 'b<ob@ejabberd.chat.test', 'b>ob@ejabberd.chat.test', 'b&ob@ejabberd.chat.test', 'b:ob@ejabberd.chat.test',
    'bob@ejab_berd.chat.test', 'bob@-ejabberd.chat.test', 'bob@ejabberd..chat.test', 'bob@ejabberd.chat.test\u0000',
    'bob\u0007@ejabberd.chat.test', `${'x'.repeat(1024)}@ejabberd.chat.test`, `bob@ejabberd.chat.test/${'r'.repeat(1024)}`, 'bob@@ejabberd.chat.test'];
  for (const j of badJids) {
    // argv cannot carry NUL: the kernel would cut the string there. Such a JID reaches rsxcc only via a file.
    if (j.includes('\u0000')) continue;
    add({ name: `recipient JID ${JSON.stringify(j.slice(0, 40))}`, args: [...me, '-t', j, '-m', 'x'], expect: 65 });
    add({ name: `account JID ${JSON.stringify(j.slice(0, 40))}`, args: ['-j', j, '-P', alice.passwordFile, '-a', lab.ca, '-x', entry, '-s'], expect: 65 });
  }
  add({ name: 'account JID without local part', args: ['-j', 'ejabberd.chat.test', '-P', alice.passwordFile, '-a', lab.ca, '-x', entry, '-s'], expect: 65 });

  // Bodies XML cannot carry (XML 1.0 Char): every C0 control but tab, newline, carriage return; U+FFFE/U+FFFF.
  for (let c = 1; c < 0x20; c++) {
    if (c === 0x09 || c === 0x0a || c === 0x0d) continue;
    add({ name: `body with U+${c.toString(16).padStart(4, '0')} (-m)`, args: [...me, '-t', bob.jid, '-m', `a${String.fromCharCode(c)}b`], expect: 65 });
  }
  for (const c of ['\ufffe', '\uffff']) add({ name: `body with U+${c.charCodeAt(0).toString(16).toUpperCase()} (-m)`, args: [...me, '-t', bob.jid, '-m', `a${c}b`], expect: 65 });
  add({ name: 'body with NUL (stdin)', args: [...me, '-t', bob.jid], input: Buffer.from('a\u0000b'), expect: 65 });
  add({ name: 'body with ESC (stdin)', args: [...me, '-t', bob.jid], input: Buffer.from('\u001b[31mred'), expect: 65 });
  add({ name: 'empty body (-m "")', args: [...me, '-t', bob.jid, '-m', ''], expect: 65 });
  add({ name: 'empty stdin', args: [...me, '-t', bob.jid], input: '', expect: 65 });
  add({ name: 'stdin of one newline', args: [...me, '-t', bob.jid], input: '\n', expect: 65 });
  for (const bytes of [[0xff], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xf5, 0x80, 0x80, 0x80]]) {
    add({
      name: `invalid UTF-8 on stdin (${bytes.map((b) => b.toString(16)).join(' ')})`,
      args: [...me, '-t', bob.jid],
      input: Buffer.from([0x61, ...bytes, 0x62]),
      expect: 65,
    });
  }
  // 1 MB: the servers' max_stanza_size is 1 MiB in all; a 1 MiB body plus its stanza exceeds it (policy-violation -> 65).
  add({ name: '1 MiB body on stdin', args: [...me, '-t', bob.jid], input: 'a'.repeat(1 << 20), expect: 65 });

  // Passwords.
  add({ name: 'wrong password (file)', args: ['-j', alice.jid, '-P', f('wrong-password'), '-a', lab.ca, '-x', entry, '-T', T, '-s'], expect: 77 });
  add({ name: 'wrong password (-p)', args: ['-j', alice.jid, '-p', 'nope', '-a', lab.ca, '-x', entry, '-T', T, '-s'], expect: 77 });
  add({ name: 'unknown account', args: ['-j', `nobody-${Accounts.run}@ejabberd.chat.test`, '-p', 'nope', '-a', lab.ca, '-x', entry, '-T', T, '-s'], expect: 77 });
  add({ name: 'empty password file', args: ['-j', alice.jid, '-P', f('empty'), '-a', lab.ca, '-x', entry, '-s'], expect: 64 });
  add({ name: 'missing password file', args: ['-j', alice.jid, '-P', f('none'), '-a', lab.ca, '-x', entry, '-s'], expect: 64 });
  add({ name: 'password file is a directory', args: ['-j', alice.jid, '-P', path.dirname(f('x')), '-a', lab.ca, '-x', entry, '-s'], expect: 64 });
  add({ name: 'no password at all (no terminal)', args: ['-j', alice.jid, '-f', f('empty'), '-a', lab.ca, '-x', entry, '-s'], expect: 64 });

  // Hosts: nothing listening, nobody there, names the lab DNS does not know (resolved on the client host).
  const [ip] = entry.split(':');
  add({ name: 'closed port', args: [...login(lab, alice, `${ip}:5299`), '-T', T, '-s'], expect: 69 });
  add({ name: 'address with nobody there', args: [...login(lab, alice, unusedLabAddress(lab)), '-T', T, '-s'], expect: 75 });
  add({ name: 'unknown host name', args: [...login(lab, alice, 'nosuchhost.lab.chat.test'), '-T', T, '-s'], expect: 69, onClient: true });
  add({ name: 'JID domain without SRV or A', args: ['-j', `alice@nosuch.chat.test`, '-p', 'x', '-a', lab.ca, '-T', T, '-s'], expect: 69, onClient: true });
  add({ name: 'recipient on a domain nobody serves', args: [...me, '-T', T, '-t', 'bob@nosuch.chat.test', '-m', 'x'], expect: 69 });

  // CA files. A file that holds no certificate is the user's mistake, like a missing one (64).
  add({ name: 'CA file missing', args: ['-j', alice.jid, '-P', alice.passwordFile, '-a', f('no-ca'), '-x', entry, '-T', T, '-s'], expect: 64 });
  add({ name: 'CA file empty', args: ['-j', alice.jid, '-P', alice.passwordFile, '-a', f('empty'), '-x', entry, '-T', T, '-s'], expect: 64 });
  add({ name: 'CA file garbage', args: ['-j', alice.jid, '-P', alice.passwordFile, '-a', f('garbage.pem'), '-x', entry, '-T', T, '-s'], expect: 64 });
  add({ name: 'CA file of another CA', args: ['-j', alice.jid, '-P', alice.passwordFile, '-a', f('other-ca.crt'), '-x', entry, '-T', T, '-s'], expect: 69 });
  add({ name: 'system CAs only', args: ['-j', alice.jid, '-P', alice.passwordFile, '-x', entry, '-T', T, '-s'], expect: 69 });
  return cases;
}

test('given >= 100 generated bad inputs, then each ends within its time-out with its documented exit status, one short error and no stack trace', { timeout: 300_000 }, async (t) => {
  const cases = corpus(await files(accounts.dir));
  assert.ok(cases.length >= 100, `${cases.length} cases`);
  const { results, notStarted } = await pool(cases, CONCURRENCY, Date.now() + 240_000, (c) =>
    (c.onClient ? rsxccOnClient : rsxcc)(c.args, { input: c.input, killAfterMs: HANG_MS }),
  );
  const runs = cases.map((c, i) => ({ c, r: results[i] as Run }));
  const hung = runs.filter(({ r }) => r.timedOut);
  const traces = runs.filter(({ r }) => hasStackTrace(r.stderr));
  const wrong = runs.filter(({ c, r }) => r.exitCode !== c.expect);
  // One line, and for a usage error the usage lines after it.
  const wordy = runs.filter(({ r }) => r.exitCode !== 0 && r.stderr.trim().split('\n').length > 1 + usageLine.split('\n').length);
  const slowest = Math.max(...runs.map(({ r }) => r.ms));
  t.diagnostic(fmt({ cases: cases.length, hung: hung.length, stack_traces: traces.length, wrong_exit: wrong.length, slowest_ms: slowest }));
  assert.equal(notStarted, 0);
  assert.deepEqual(hung.map(({ c }) => c.name), [], 'runs over the time-out');
  assert.deepEqual(traces.map(({ c, r }) => `${c.name}: ${r.stderr}`), [], 'stack traces');
  assert.deepEqual(wordy.map(({ c, r }) => `${c.name}: ${r.stderr}`), [], 'an error is a line (plus the usage lines for 64)');
  assert.deepEqual(wrong.map(({ c, r }) => `${c.name}: expected ${c.expect}, got ${r.exitCode}: ${r.stderr.trim()}`), []);
});

// Federation between the lab's domains, from outside: alice@prosody and bob@ejabberd (and back)
// through the real s2s streams. Exit 0 means the remote server has the message (counted in its
// database the moment rsxcc exits); a peer with a certificate the lab CA did not sign is refused,
// and the sender hears of it; a cut of the ejabberd side's HAProxy never turns into exit 0 and lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import {
  EJABBERD, PROSODY, drainAll, envCount, fault, fillUnread, fmt, proofFixture, restoreLab, send, sleep, storedOffline, tally,
} from './proof-lib.ts';
import { chatlab } from './fixture.ts';

const BULK = envCount('PROOF_FEDERATION_BULK', 1000);

const fixture = proofFixture({ restore: true });

for (const [from, to] of [[PROSODY, EJABBERD], [EJABBERD, PROSODY]] as const) {
  test(`given alice@${from} and bob@${to}, when alice sends, then exit 0 means ${to} has stored it, bob's unread shows it once, and the stream authenticated by certificate`, async (t) => {
    const { lab, accounts } = fixture;
    const [alice] = await accounts.make(from, 'fa');
    const [bob] = await accounts.make(to, 'fb');
    const body = `federated-${Date.now()}`;
    const sent = await send(lab, alice, bob, body, lab.entry[from]);
    // Counted at once, by the remote server's database: no settling, no second look.
    const stored = await storedOffline(lab, bob);
    const read = await drainAll(lab, bob, lab.entry[to]);
    // Prosody's view of the stream that carried it (outgoing from Prosody, or incoming to it).
    const [local, arrow, remote] = from === PROSODY ? [PROSODY, '-->', EJABBERD] : [PROSODY, '<--', EJABBERD];
    const row = (await prosodyShell('s2s:show()')).stdout.split('\n').map((l) => l.split('|').map((c) => c.trim())).find((c) => c[1] === local && c[2] === arrow && c[3] === remote);
    t.diagnostic(fmt({ exit: sent.exitCode ?? 'none', stored_when_rsxcc_exited: stored, shown: read.length, stream: row?.slice(1).join(' ') ?? 'none' }));
    assert.equal(sent.exitCode, 0, sent.stderr);
    assert.ok(row, `Prosody has the ${arrow} stream with ${EJABBERD}`);
    assert.deepEqual([row[5], row[6], row[7]], ['TLSv1.3', 'Succeeded', 'Not used'], 'TLS, SASL EXTERNAL on the certificates, no dialback');
    assert.equal(stored, 1, `${to} held the message when rsxcc exited 0`);
    assert.deepEqual(read.map((m) => [m.from.split('/')[0], m.body]), [[alice.jid, body]]);
  });

  test(`given ${BULK} messages from ${from} to bob@${to} over one s2s stream, then bob's unread shows each once`, { timeout: 180_000 }, async (t) => {
    const { lab, accounts } = fixture;
    const [alice] = await accounts.make(from, 'ga');
    const [bob] = await accounts.make(to, 'gb');
    const bodies = Array.from({ length: BULK }, (_, i) => `bulk-${Date.now()}-${i}`);
    await fillUnread(lab, alice, bob, bodies, lab.entry[from]!);
    // The fill confirms with its own server; this run's exit 0 (a message behind them on the same
    // stream) means the remote one has handled every one before it.
    // The remote server stores the 1,000 before it answers the ping behind them: time to match.
    const last = await send(lab, alice, bob, 'last', lab.entry[from], ['-T', '60']);
    assert.equal(last.exitCode, 0, last.stderr);
    const stored = await storedOffline(lab, bob);
    const counts = tally([...bodies, 'last'], (await drainAll(lab, bob, lab.entry[to])).map((m) => m.body));
    t.diagnostic(fmt({ sent: BULK + 1, stored_when_confirmed: stored, delivered: counts.delivered, lost: counts.lost.length, duplicates: counts.duplicates }));
    assert.equal(stored, BULK + 1);
    assert.deepEqual(counts.lost, []);
    assert.equal(counts.duplicates, 0);
  });
}

/** A certificate for prosody's domain from a CA the lab has never seen. */
async function rogueCertificate(dir: string, domain: string): Promise<{ crt: string; key: string }> {
  const crt = path.join(dir, 'rogue.crt');
  const key = path.join(dir, 'rogue.key');
  await execa('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
    '-keyout', key, '-out', crt, '-subj', `/CN=${domain}`, '-addext', `subjectAltName=DNS:${domain}`,
    '-addext', 'extendedKeyUsage=serverAuth,clientAuth']);
  return { crt, key };
}

const prosodyShell = (command: string) =>
  chatlab('exec', fixture.lab.status.domains.find((d) => d.domain === PROSODY)!.server, '--', 'setpriv', '--reuid=prosody', '--regid=prosody', '--init-groups', 'prosodyctl', 'shell', command);

test('given Prosody presenting a certificate the lab CA did not sign, when alice@prosody sends to bob@ejabberd, then ejabberd refuses the stream and rsxcc exits non-zero; nothing is stored', { timeout: 120_000 }, async (t) => {
  const { lab, accounts } = fixture;
  const [alice] = await accounts.make(PROSODY, 'ra');
  const [bob] = await accounts.make(EJABBERD, 'rb');
  const dir = await mkdtemp(path.join(tmpdir(), 'chatlab-rogue-'));
  const host = lab.status.domains.find((d) => d.domain === PROSODY)!.server;
  try {
    const rogue = await rogueCertificate(dir, PROSODY);
    for (const [file, suffix] of [[rogue.crt, 'crt'], [rogue.key, 'key']] as const) {
      const r = await chatlab('exec', host, '--', 'install', '-m', '640', '-o', 'root', '-g', 'prosody', file, `/etc/prosody/certs/${PROSODY}.${suffix}`);
      assert.equal(r.exitCode, 0, r.stderr);
    }
    // Prosody takes the new certificate on a config reload; the streams it has are closed so the
    // next message needs a new one.
    for (const command of ['config:reload()', `s2s:close(${JSON.stringify(PROSODY)}, ${JSON.stringify(EJABBERD)})`]) {
      const r = await prosodyShell(command);
      assert.equal(r.exitCode, 0, `${command}: ${r.stdout}${r.stderr}`);
    }
    const shown = await prosodyShell('s2s:show()');
    assert.doesNotMatch(shown.stdout, new RegExp(`${PROSODY.replaceAll('.', '\\.')}\\s+\\|\\s+-->\\s+\\|\\s+${EJABBERD.replaceAll('.', '\\.')}`), 'premise: no stream to ejabberd left');
    // -K: Prosody shows its clients the rogue certificate too; what is under test is the s2s stream.
    const sent = await send(lab, alice, bob, 'signed by nobody', lab.entry[PROSODY], ['-K']);
    await sleep(1000);
    const stored = await storedOffline(lab, bob);
    t.diagnostic(fmt({ exit: sent.exitCode ?? 'none', stored, stderr: sent.stderr.trim() }));
    assert.notEqual(sent.exitCode, 0, 'the sender hears of it');
    assert.ok([69, 75].includes(sent.exitCode!), `a documented status: ${sent.exitCode} ${sent.stderr}`);
    const lines = sent.stderr.split('\n').filter((l) => l && !/WARNING: -K/.test(l));
    assert.equal(lines.length, 1, `one line on stderr besides -K's warning: ${sent.stderr}`);
    assert.match(lines[0]!, new RegExp(EJABBERD.replaceAll('.', '\\.')), 'it names the domain that could not be reached');
    assert.equal(stored, 0, 'ejabberd stored nothing');
  } finally {
    await rm(dir, { recursive: true, force: true });
    // Provisioning puts the lab's certificate back (the file differs) and restarts Prosody.
    await restoreLab();
  }
});

test("given alice@prosody sending to bob@ejabberd once a second, when ejabberd's HAProxy is cut and healed, then every exit 0 is stored for bob and none is lost", { timeout: 180_000 }, async (t) => {
  const { lab, accounts } = fixture;
  const [alice] = await accounts.make(PROSODY, 'ca');
  const [bob] = await accounts.make(EJABBERD, 'cb');
  const haproxy = lab.status.domains.find((d) => d.domain === EJABBERD)!.server;
  const results: Array<{ body: string; exit: number | undefined; started: number }> = [];
  let cutAt = 0;
  let healedAt = 0;
  const sender = (async () => {
    // Until two sends have started after the heal (one in flight at the heal may still time out).
    for (let i = 0; i < 40 && (healedAt === 0 || results.filter((r) => r.started >= healedAt).length < 2); i++) {
      const body = `cut-${Date.now()}-${i}`;
      const started = Date.now();
      const r = await send(lab, alice, bob, body, lab.entry[PROSODY], ['-T', '3']);
      results.push({ body, exit: r.exitCode, started });
      await sleep(1000);
    }
  })();
  await sleep(3_000);
  cutAt = Date.now();
  await fault('cut', haproxy);
  try {
    await sleep(15_000);
  } finally {
    await fault('heal', haproxy);
    healedAt = Date.now();
  }
  await sender;
  const confirmed = results.filter((r) => r.exit === 0).map((r) => r.body);
  const duringCut = results.filter((r) => r.started >= cutAt && r.started < healedAt);
  // Whatever ejabberd received late (a retried stream) is kept; read it all once it settles.
  await sleep(5_000);
  const counts = tally(confirmed, (await drainAll(lab, bob, lab.entry[EJABBERD])).map((m) => m.body));
  t.diagnostic(fmt({ sent: results.length, sent_during_cut: duringCut.length, failed_during_cut: duringCut.filter((r) => r.exit !== 0).length, confirmed: confirmed.length, lost_of_confirmed: counts.lost.length, exits: results.map((r) => r.exit).join(',') }));
  assert.ok(duringCut.length >= 3, 'premise: sends were made while the cable was out');
  assert.ok(duringCut.some((r) => r.exit !== 0), 'premise: the cut was felt by a sender');
  assert.deepEqual(counts.lost, [], 'no confirmed message lost');
  const afterHeal = results.filter((r) => r.started >= healedAt);
  assert.ok(afterHeal.length >= 2 && afterHeal.every((r) => r.exit === 0), `after the heal, sending works again: ${afterHeal.map((r) => r.exit).join(',')}`);
});

// The lab's secrets as openssl makes them: each domain's certificate carries the names and
// purposes federation needs, and a certificate made to an older profile is made again, alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { lab as spec } from '../../provision/lab.ts';
import { defineLab } from '../../provision/validate.ts';
import { ensureSecrets } from '../../provision/secrets.ts';
import { secretsDir } from '../../provision/paths.ts';

const lab = defineLab(spec);

async function extensions(file: string): Promise<string> {
  return (await execa('openssl', ['x509', '-in', file, '-noout', '-ext', 'subjectAltName,extendedKeyUsage'])).stdout;
}

test('given a new lab, each domain certificate names the domain and its MUC service, for server and client use, and verifies against the lab CA', async () => {
  const state = await mkdtemp(path.join(tmpdir(), 'chatlab-secrets-'));
  try {
    await ensureSecrets(lab, state);
    const dir = secretsDir(state);
    for (const domain of Object.values(spec.domains)) {
      const crt = path.join(dir, `${domain}.crt`);
      const ext = await extensions(crt);
      assert.match(ext, new RegExp(`DNS:${domain.replaceAll('.', '\\.')}, DNS:conference\\.${domain.replaceAll('.', '\\.')}`), ext);
      // An s2s stream's initiator presents its certificate as a client: both purposes.
      assert.match(ext, /TLS Web Server Authentication, TLS Web Client Authentication/, ext);
      await execa('openssl', ['verify', '-CAfile', path.join(dir, 'ca.crt'), '-purpose', 'sslclient', crt]);
      await execa('openssl', ['verify', '-CAfile', path.join(dir, 'ca.crt'), '-purpose', 'sslserver', crt]);
    }
  } finally {
    await rm(state, { recursive: true, force: true });
  }
});

test('given a certificate made to an older profile, ensureSecrets makes that one again and keeps every other secret', async () => {
  const state = await mkdtemp(path.join(tmpdir(), 'chatlab-secrets-'));
  try {
    await ensureSecrets(lab, state);
    const dir = secretsDir(state);
    const domain = spec.domains.prosody;
    const before = await Promise.all(['ca.crt', 'erlang.cookie', `${spec.domains.ejabberd}.pem`, `${domain}.pem`].map((f) => readFile(path.join(dir, f), 'utf8')));
    await writeFile(path.join(dir, `${domain}.ext`), `subjectAltName=DNS:${domain}\nextendedKeyUsage=serverAuth\n`);
    const made = await ensureSecrets(lab, state);
    assert.deepEqual(made.sort(), [`${domain}.crt`, `${domain}.key`, `${domain}.pem`]);
    const after = await Promise.all(['ca.crt', 'erlang.cookie', `${spec.domains.ejabberd}.pem`, `${domain}.pem`].map((f) => readFile(path.join(dir, f), 'utf8')));
    assert.deepEqual(after.slice(0, 3), before.slice(0, 3), 'the CA, the cookie and the other certificate stay');
    assert.notEqual(after[3], before[3], 'the stale certificate is new');
    assert.deepEqual(await ensureSecrets(lab, state), [], 'and a further run makes nothing');
  } finally {
    await rm(state, { recursive: true, force: true });
  }
});

test('given a certificate made to an older profile, when five makers run at once (vagrant up\'s trigger, once per machine), each succeeds and the certificate is made once', async () => {
  const state = await mkdtemp(path.join(tmpdir(), 'chatlab-secrets-'));
  try {
    await ensureSecrets(lab, state);
    const domain = spec.domains.prosody;
    await writeFile(path.join(secretsDir(state), `${domain}.ext`), `subjectAltName=DNS:${domain}\nextendedKeyUsage=serverAuth\n`);
    const made = await Promise.all(Array.from({ length: 5 }, () => ensureSecrets(lab, state)));
    assert.deepEqual(made.flat().sort(), [`${domain}.crt`, `${domain}.key`, `${domain}.pem`], 'made by one of them, once');
    assert.match(await extensions(path.join(secretsDir(state), `${domain}.crt`)), /TLS Web Client Authentication/);
    assert.deepEqual(await readdir(secretsDir(state)).then((names) => names.filter((n) => n === '.lock' || n.endsWith('.csr'))), [], 'no lock or request left');
  } finally {
    await rm(state, { recursive: true, force: true });
  }
});

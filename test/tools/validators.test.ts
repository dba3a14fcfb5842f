// The committed assets pass the real tools' own checks (installed by `npm test`'s set-up step).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { projectRoot } from '../../provision/paths.ts';
import { lab as spec } from '../../provision/lab.ts';

const at = (p: string) => path.join(projectRoot, p);
const check = async (file: string, args: string[], options: { cwd?: string } = {}) => {
  const r = await execa(file, args, { reject: false, cwd: options.cwd ?? projectRoot, stdin: 'ignore' });
  assert.equal(r.exitCode, 0, `${file} ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`);
  return `${r.stdout}\n${r.stderr}`;
};

test('haproxy -c accepts haproxy.cfg', async () => {
  await check('haproxy', ['-c', '-f', at('haproxy/haproxy.cfg')]);
});

test('named-checkconf and named-checkzone accept the DNS configuration and zone', async () => {
  await check('named-checkconf', [at('haproxy/named.conf.options')]);
  await check('named-checkconf', [at('haproxy/named.conf.local')]);
  const out = await check('named-checkzone', [spec.zone, at(`haproxy/db.${spec.zone}`)]);
  assert.match(out, /OK/);
});

test('prosodyctl check config accepts prosody.cfg.lua', async () => {
  const out = await check('prosodyctl', ['--config', at('prosody/prosody.cfg.lua'), 'check', 'config']);
  assert.match(out, /All checks passed/);
});

test('shellcheck finds nothing in any provisioning script or the shell library', async () => {
  await check('shellcheck', ['-x', 'prosody/provision.sh', 'ejabberd/provision.sh', 'haproxy/provision.sh', 'db/provision.sh', 'provision/shell/common.sh', 'provision/shell/packages.sh']);
});

test('vagrant validate accepts the Vagrantfile without any provider installed', { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'chatlab-vagrant-'));
  try {
    await copyFile(at('Vagrantfile'), path.join(dir, 'Vagrantfile'));
    const out = await check('vagrant', ['validate', '--ignore-provider'], { cwd: dir });
    assert.match(out, /validated successfully/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

// Given a machine where `npm test`'s set-up ran (`chatlab up` and the test step's installs), every
// command of those steps is here, and Debian says it comes from the package its row names (or from
// a package that one depends on): a wrong row fails here, not on a fresh machine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { readlink } from 'node:fs/promises';
import { execa } from 'execa';
import { HOST_COMMANDS, type HostCommand } from '../../provision/host-commands.ts';
import { findCommand } from '../../provision/preflight.ts';

/** Steps whose packages are installed by the time the suite runs. */
const INSTALLED = (r: HostCommand) => r.steps.some((s) => s === 'lab' || s === 'test' || s.startsWith('role:'));

async function owner(file: string): Promise<string | undefined> {
  // Merged /usr: a package may have registered /sbin/ip where the file is /usr/sbin/ip.
  for (const candidate of [file, file.replace(/^\/usr/, '')]) {
    const r = await execa('dpkg', ['-S', candidate], { reject: false });
    if (r.exitCode === 0) return r.stdout.split(':')[0];
  }
  return undefined;
}

async function alternatives(name: string): Promise<string[]> {
  const r = await execa('update-alternatives', ['--list', name], { reject: false });
  return r.stdout.split('\n').filter(Boolean);
}

async function dependencies(pkg: string): Promise<Set<string>> {
  const r = await execa('apt-cache', ['depends', '--recurse', '--installed', '--no-recommends', '--no-suggests', '--no-conflicts',
    '--no-breaks', '--no-replaces', '--no-enhances', pkg]);
  return new Set(r.stdout.split('\n').map((l) => l.replace(/^\s*(\|?(Pre)?Depends: )?/, '').trim()).filter((l) => /^[a-z0-9][\w.+-]*$/.test(l)));
}

test('every command of the installed steps is on this machine, from the package its row names', async () => {
  const rows = HOST_COMMANDS.filter((r) => !r.systemdOnly && (INSTALLED(r) || findCommand(r.command) !== undefined));
  const problems: string[] = [];
  const deps = new Map(await Promise.all([...new Set(rows.map((r) => r.package))].map(async (p) => [p, await dependencies(p)] as const)));
  for (const row of rows) {
    const file = findCommand(row.command);
    if (file === undefined) {
      problems.push(`${row.command}: not found (package ${row.package})`);
      continue;
    }
    // A command Debian's alternatives choose (awk: mawk, or gawk once something installs it) is
    // right when the row's package provides one of its choices.
    // (A slave link of another alternative, iptables-save of iptables, lists no choices of its own.)
    const listed = (await readlink(file).catch(() => '')).startsWith('/etc/alternatives/') ? await alternatives(row.command) : [];
    const choices = listed.length ? listed : [realpathSync(file)];
    const from = new Set((await Promise.all(choices.map(owner))).filter((o): o is string => o !== undefined));
    if (from.size === 0) problems.push(`${row.command}: ${file} belongs to no Debian package`);
    else if (!from.has(row.package) && ![...from].some((o) => deps.get(row.package)?.has(o))) problems.push(`${row.command}: from ${[...from].join(' or ')}, not ${row.package}`);
  }
  assert.deepEqual(problems, []);
  assert.ok(rows.filter(INSTALLED).length >= 40, `checked ${rows.length} rows`);
});

// Given the project's code, every external command it runs has a row in provision/host-commands.ts
// for the step that runs it, and that row's package is installed before the step runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../provision/paths.ts';
import { HOST_COMMANDS, available, commandRow, installList, MACHINE_STEPS, type Step } from '../../provision/host-commands.ts';
import { parseShell, read, shellCommands, tsCommands, type Use } from './command-scan.ts';

const SERVER_ROLES: Step[] = ['role:haproxy', 'role:prosody', 'role:ejabberd', 'role:db'];

/** Which step runs the commands of a file; the first match wins. */
const STEP_OF: [RegExp, Step[]][] = [
  [/^(\.ci\/run|test\/run\.sh|test\/(unit|tools|lab)\/.*)$/, ['test']],
  [/^(\.ci\/vagrant-stage\.sh|test\/vagrant\/.*)$/, ['vm-stage']],
  [/^provision\/box\/guest-setup\.sh$/, ['guest']],
  [/^provision\/box\//, ['box']],
  [/^bench\//, ['bench']],
  [/^prosody\/provision\.sh$/, ['role:prosody']],
  [/^ejabberd\/provision\.sh$/, ['role:ejabberd']],
  [/^haproxy\/provision\.sh$/, ['role:haproxy']],
  [/^db\/provision\.sh$/, ['role:db']],
  [/^(provision\/|scripts\/)/, ['lab']],
  // rsxcc runs no program of its own (only the command a person gives -R): anything found there
  // has no step, so no row can cover it.
  [/^cli\//, []],
];

const stepsOf = (file: string) => STEP_OF.find(([pattern]) => pattern.test(file))?.[1];

function uses(): Use[] {
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: projectRoot, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
  // The shell library: what its functions run counts for each script that sources it and calls them.
  const library = 'provision/shell/common.sh';
  const common = parseShell(read(projectRoot, library), library);
  const found: Use[] = [];
  for (const file of files) {
    const steps = stepsOf(file);
    if (file === library) continue;
    if (file.endsWith('.sh') || file === '.ci/run') {
      const source = read(projectRoot, file);
      const sourcesLibrary = /\/common\.sh"?$/m.test(source);
      for (const command of shellCommands(parseShell(source, file), sourcesLibrary ? common : undefined)) {
        for (const step of steps ?? []) found.push({ command, step, where: file });
        if (!steps?.length) found.push({ command, step: 'none' as Step, where: file });
      }
    } else if (file.endsWith('.ts') && !file.endsWith('.d.ts') && !file.startsWith('test/unit/')) {
      const { local, onHost } = tsCommands(read(projectRoot, file));
      for (const command of local) for (const step of steps?.length ? steps : ['none' as Step]) found.push({ command, step, where: file });
      // The host's role is not in the source: any role step of the row covers it.
      for (const command of onHost) found.push({ command, step: 'role:*' as Step, where: file });
    }
  }
  return found;
}

test('the scan sees commands where they are (premise: a broken scan cannot pass the next test)', () => {
  const all = uses();
  const has = (command: string, where: string) => all.some((u) => u.command === command && u.where === where);
  assert.ok(has('sfdisk', 'provision/box/image.ts'), "run(['sfdisk', ...]) in the box builder");
  assert.ok(has('openssl', 'provision/secrets.ts'), "run(['openssl', ...args]) behind a helper");
  assert.ok(has('vagrant', '.ci/vagrant-stage.sh'), 'timeout ... vagrant in the VM stage');
  assert.ok(has('ejabberdctl', 'provision/load/accounts.ts'), 'hostArgv(seed, [ejabberdctl ...])');
  assert.ok(has('nft', 'ejabberd/provision.sh'), 'nft in the generated ejabberd script');
  assert.ok(has('libvirtd', 'provision/box/host.ts'), "'/usr/sbin/libvirtd' by its path");
  assert.ok(has('ip', 'provision/lab/network.ts'), 'the ip() helper');
  assert.ok(!all.some((u) => u.command === 'ensure_packages' || u.command === 'install_file'), "common.sh's functions are not commands");
  assert.ok(has('apt-get', 'haproxy/provision.sh'), "what common.sh's ensure_packages runs counts for the scripts that call it");
  assert.ok(has('mariadb-install-db', 'db/provision.sh') && !has('mariadb-install-db', 'haproxy/provision.sh'), 'only the callers of start_mariadb run it');
});

test('the shell scan: wrappers, pipelines, substitutions and functions', () => {
  const script = 'f() { g; }\nunused() { h; }\nx=$(timeout --kill-after=5 60 foo -a | bar)\nsetsid -f baz &\nf\n"$cmd" arg\ncd /\n/usr/bin/qux\nlib_f\n';
  const library = parseShell('lib_f() { i; }\nlib_g() { j; }\ntop\n', 'lib.sh');
  assert.deepEqual(shellCommands(parseShell(script, 't.sh'), library), ['bar', 'baz', 'foo', 'g', 'i', 'setsid', 'timeout', 'top']);
});

test('every command the code runs has a row that names the step running it', () => {
  const problems = new Set<string>();
  for (const u of uses()) {
    const row = commandRow(u.command);
    const covered = u.step === ('role:*' as Step) ? row?.steps.some((s) => s.startsWith('role:')) : row?.steps.includes(u.step);
    if (!row) problems.add(`${u.where} runs ${u.command}: no row in provision/host-commands.ts`);
    else if (!covered) problems.add(`${u.where} runs ${u.command} in step ${u.step}: its row names ${row.steps.join(', ')}`);
  }
  assert.deepEqual([...problems], []);
});

test("each row's package is installed by, or before, every step that runs it", () => {
  const problems: string[] = [];
  for (const row of HOST_COMMANDS) {
    if (row.systemdOnly) continue;
    for (const step of row.steps) {
      if (!available(step).has(row.package)) problems.push(`${row.command}: ${row.package} is not installed for step ${step}`);
    }
  }
  assert.deepEqual(problems, []);
});

test('one row per command', () => {
  const names = HOST_COMMANDS.map((r) => r.command);
  assert.deepEqual(names.filter((n, i) => names.indexOf(n) !== i), []);
});

test('the VM stage installs what chatlab box needs, since it runs it', () => {
  const vm = installList('vm-stage');
  for (const p of installList('box')) assert.ok(vm.includes(p), p);
  assert.ok(vm.includes('fdisk'), 'sfdisk comes from fdisk');
  assert.deepEqual([...MACHINE_STEPS].sort(), ['bench', 'box', 'lab', 'test', 'vm-stage']);
});

test("README's CI table lists what each step installs, as the table says", () => {
  const readme = readFileSync(path.join(projectRoot, 'README.md'), 'utf8');
  const row = (label: string) => readme.split('\n').find((l) => l.startsWith(`| ${label}`))?.split('|')[2]?.trim().split(/\s+/);
  assert.deepEqual(row('`npm test`')?.sort(), installList('test').sort());
  assert.deepEqual(row('the VM stage'), installList('vm-stage'));
  assert.deepEqual(row('`npm run bench`')?.sort(), installList('bench').sort());
});

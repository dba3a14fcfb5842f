// The shell library's supervisor, where no systemd runs (the namespace lab): run_service starts a
// daemon in its own session, and a restart must stop all of it, not only the leader whose pid it
// recorded. ejabberd is the case: `ejabberdctl foreground` is a shell whose beam.smp is a child,
// and an orphaned beam.smp kept the old config while the new one died of "eaddrinuse".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { projectRoot } from '../../provision/paths.ts';
import { findCommand } from '../../provision/preflight.ts';

// Running, not a zombie: an orphan's exit status may wait long for its reaper, holding nothing.
const alive = async (pid: number) => {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
};

test('given a daemon whose worker is a child of its leader, when its config changes, then run_service restarts both', { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'chatlab-shell-'));
  const name = `chatlab-test-${process.pid}`;
  // The daemon: a shell (the leader) that records its child's pid and waits on it, like ejabberdctl.
  const daemon = `sleep 300 & echo $! >${dir}/child.$$; wait`;
  const runTwice = `
    source provision/shell/common.sh
    run_service ${name} none.service 0 -- bash -c '${daemon}'
    first=$(cat /run/chatlab/${name}.pid)
    sleep 0.3
    run_service ${name} none.service 0 -- bash -c '${daemon}'
    [ "$(cat /run/chatlab/${name}.pid)" = "$first" ] || { echo "unchanged config restarted"; exit 1; }
    run_service ${name} none.service 1 -- bash -c '${daemon}'
    second=$(cat /run/chatlab/${name}.pid)
    echo "$first $second"
  `;
  let leaders: number[] = [];
  try {
    const r = await execa('bash', ['-c', runTwice], {
      cwd: projectRoot,
      reject: false,
      env: { CHATLAB_HOST: 'test', CHATLAB_SECRETS: dir, OPEN_FILES: '1024' },
    });
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    leaders = r.stdout.trim().split(' ').map(Number);
    const [first, second] = leaders as [number, number];
    assert.notEqual(first, second);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const oldChild = Number(await readFile(path.join(dir, `child.${first}`), 'utf8'));
    const newChild = Number(await readFile(path.join(dir, `child.${second}`), 'utf8'));
    assert.equal(await alive(first), false, 'the old leader is gone');
    assert.equal(await alive(oldChild), false, 'the old leader\'s child is gone with it');
    assert.equal(await alive(newChild), true, 'the new daemon runs');
    assert.match(r.stderr, new RegExp(`stopped ${name} \\(pid ${first}\\)`));
  } finally {
    // By process group, as the library does: only what this test started.
    for (const leader of leaders) {
      try {
        process.kill(-leader, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await rm(`/run/chatlab/${name}.pid`, { force: true });
    await rm(`/var/log/chatlab/${name}.log`, { force: true });
    await rm(dir, { recursive: true, force: true });
  }
});

// The generated scripts hand load_firewall their rules, the installed path and the unit; what the
// library then does with them, against stand-ins for nft, systemctl and the file system's root.
for (const role of ['ejabberd', 'db'] as const) {
  test(`${role}: the firewall is loaded at provisioning and, where systemd runs, before every start of the service the script runs`, { timeout: 30_000 }, async () => {
    const script = await readFile(path.join(projectRoot, role, 'provision.sh'), 'utf8');
    const [, installed, unit] = /^load_firewall "\$HERE\/chatlab\.nft" (\S+) (\S+)/m.exec(script) ?? [];
    assert.ok(installed && unit, 'the script loads its firewall');
    const library = await readFile(path.join(projectRoot, 'provision/shell/common.sh'), 'utf8');
    const started = role === 'db' ? library : script;
    assert.match(started, new RegExp(`run_service \\S+ ${unit.replace('.', '\\.')} `), `${unit} is the unit the script starts`);
    const dir = await mkdtemp(path.join(tmpdir(), 'chatlab-firewall-'));
    try {
      await writeFile(path.join(dir, 'nft'), `#!/bin/sh\necho "nft $*" >>"${dir}/calls"\n[ "$1" != list ]\n`, { mode: 0o755 });
      const run = `
        source provision/shell/common.sh
        have_systemd() { true; }
        systemctl() { echo "systemctl $*" >>"${dir}/calls"; }
        install_file() { [ ! -f "${dir}$2" ] || ! cmp -s "$1" "${dir}$2" || return 1; install -D -m "$3" "$1" "${dir}$2"; }
        load_firewall ${role}/chatlab.nft ${installed} ${unit} || true
        load_firewall ${role}/chatlab.nft ${installed} ${unit} && echo "second run changed something"
        true`;
      const r = await execa('bash', ['-c', run], { cwd: projectRoot, reject: false, env: { PATH: `${dir}:${process.env.PATH}`, CHATLAB_HOST: 'test', CHATLAB_SECRETS: dir } });
      assert.equal(r.exitCode, 0, r.stderr);
      assert.doesNotMatch(r.stdout, /second run changed/);
      const nft = findCommand('nft');
      assert.ok(nft, 'nft is installed here (npm test installs the role packages)');
      assert.equal(await readFile(path.join(dir, installed), 'utf8'), await readFile(path.join(projectRoot, role, 'chatlab.nft'), 'utf8'));
      assert.equal(
        await readFile(path.join(dir, `/etc/systemd/system/${unit}.d/chatlab-firewall.conf`), 'utf8'),
        `[Service]\nExecStartPre=+${nft} -f ${installed}\n`,
        'systemd runs the packaged nft on the installed rules before each start',
      );
      const calls = (await readFile(path.join(dir, 'calls'), 'utf8')).split('\n');
      assert.ok(calls.includes(`nft -f ${installed}`), 'loaded at provisioning');
      assert.equal(calls.filter((c) => c === 'systemctl daemon-reload').length, 1, 'systemd told once, when the drop-in changed');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

// Installed as a user would install it: `npm pack`, then `npm install -g` of the tarball into a
// prefix of its own; the commands, their manual pages and what an installed chatlab needs at run
// time (the generated assets, the shell library, the box's guest script, the load worker) are there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { projectRoot } from '../../provision/paths.ts';

const limits = { stdin: 'ignore', timeout: 120_000 } as const;

test('npm pack and npm install -g give working rsxcc and chatlab commands with their man pages', { timeout: 180_000 }, async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'chatlab-install-'));
  try {
    // The suite has built dist/ already; building again here would rewrite it under other tests.
    await execa('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { ...limits, cwd: projectRoot });
    const [tarball] = (await readdir(dir)).filter((f) => f.endsWith('.tgz'));
    assert.ok(tarball, 'npm pack made a tarball');
    const prefix = path.join(dir, 'prefix');
    await execa('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', path.join(dir, tarball)], limits);
    const bin = (name: string) => path.join(prefix, 'bin', name);
    const installed = (name: string, args: string[]) => execa(bin(name), args, { ...limits, reject: false, env: { CHATLAB_STATE: path.join(dir, 'state') } });

    const rsxcc = await installed('rsxcc', ['-h']);
    assert.equal(rsxcc.exitCode, 0, rsxcc.stderr);
    assert.match(rsxcc.stdout, /^usage: rsxcc -j JID/);
    const chatlab = await installed('chatlab', ['-h']);
    assert.equal(chatlab.exitCode, 0, chatlab.stderr);
    assert.match(chatlab.stdout, /^usage: chatlab \[--lab NAME\] COMMAND/);

    const pages = await execa('man', ['-M', path.join(prefix, 'share', 'man'), '-w', 'rsxcc', 'chatlab'], limits);
    const root = path.join(prefix, 'lib', 'node_modules', 'chatlab');
    assert.deepEqual(pages.stdout.split('\n'), [path.join(root, 'cli', 'rsxcc.1'), path.join(root, 'provision', 'chatlab.1')]);

    // What `chatlab up` runs the default lab from: every generated file, as the model makes it.
    const check = await installed('chatlab', ['generate', '--check']);
    assert.equal(check.exitCode, 0, check.stderr);
    const hash = await installed('chatlab', ['box', 'hash']);
    assert.equal(hash.stdout, (await execa('node', ['dist/chatlab.js', 'box', 'hash'], { ...limits, cwd: projectRoot })).stdout, "the box's guest script is there");
    assert.deepEqual((await readdir(path.join(root, 'provision', 'shell'))).sort(), ['common.sh', 'packages.sh']);
    // `chatlab load` forks this: it must start without the checkout's TypeScript loader.
    const worker = fork(path.join(root, 'dist', 'chatlab-load-worker.js'), [], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
    const ready = await new Promise((resolve) => {
      worker.once('message', resolve);
      worker.once('exit', () => resolve('exited'));
    });
    worker.kill();
    assert.deepEqual(ready, { type: 'ready' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

// rsxcc itself (cli/main.ts, as a process) against the fake server for the modes of issue 14:
// results on stdout only, a missing feature one line on stderr and status 69.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { NS_MAM } from '../../xmpp/mam.ts';
import { ACCOUNT, archived, discoInfo, fakeArchive, NS_OFFLINE, offlineHeaders } from './fake-archive.ts';
import { fakeServer, iqRoute, PASSWORD, type IqHandler } from './fake-xmpp-server.ts';

const main = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));

/** rsxcc ARGS logged in as alice at a fake server with `handlers`; -K, since the fixture certificate is self-signed. */
async function rsxcc(handlers: IqHandler[], args: string[]): Promise<{ status: number; stdout: string; stderr: string; received: string[] }> {
  const server = await fakeServer([], { route: iqRoute(handlers) });
  try {
    return await new Promise((resolve) => {
      const argv = ['--import', 'tsx', main, '-j', ACCOUNT, '-K', '-x', `127.0.0.1:${server.port}`, '-T', '5', ...args];
      execFile(process.execPath, argv, { env: { ...process.env, XMPP_PASSWORD: PASSWORD } }, (error, stdout, stderr) => {
        resolve({ status: typeof error?.code === 'number' ? error.code : 0, stdout, stderr, received: server.received });
      });
    });
  } finally {
    server.close();
  }
}

/** stderr without the warning -K always gives. */
const complaints = (stderr: string) => stderr.split('\n').filter((line) => line && !line.includes('WARNING: -K'));

test('given an archive of 300, when rsxcc -H -o json runs, then stdout is 300 JSON lines oldest first and it exits 0', async () => {
  const entries = archived(300);
  const run = await rsxcc([discoInfo(ACCOUNT, [NS_MAM]), fakeArchive(entries).handler], ['-H', '-o', 'json']);
  assert.equal(run.status, 0, run.stderr);
  const ids = run.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { archiveId: string }).archiveId);
  assert.deepEqual(ids, entries.map((entry) => entry.id));
  assert.deepEqual(complaints(run.stderr), []);
});

test('given no archive on the account, when rsxcc -H runs, then it exits 69 with one line on stderr and nothing on stdout', async () => {
  const run = await rsxcc([discoInfo(ACCOUNT, [])], ['-H']);
  assert.equal(run.status, 69);
  assert.equal(run.stdout, '');
  assert.deepEqual(complaints(run.stderr), [`rsxcc: ${ACCOUNT} offers no message archive (XEP-0313 urn:xmpp:mam:2)`]);
});

test('given a server without XEP-0013, when rsxcc -n runs, then it exits 69 with one line saying so; with it, the count is printed', async () => {
  const without = await rsxcc([discoInfo(ACCOUNT, [NS_MAM])], ['-n']);
  assert.equal(without.status, 69);
  assert.equal(without.stdout, '');
  assert.equal(complaints(without.stderr).length, 1, without.stderr);
  const counted = await rsxcc([discoInfo(ACCOUNT, [NS_OFFLINE]), offlineHeaders(['bob@example.org/a', 'bob@example.org/b'])], ['-n']);
  assert.equal(counted.status, 0, counted.stderr);
  assert.equal(counted.stdout, '2 offline messages\n2 bob@example.org\n');
});

test('given a bad time, when rsxcc -H -B runs, then it exits 64 before connecting, with the error and the usage', async () => {
  const run = await rsxcc([], ['-H', '-B', 'last tuesday']);
  assert.equal(run.status, 64);
  assert.match(run.stderr, /^rsxcc: bad time "last tuesday" for -B: expected ISO 8601.*\nusage: rsxcc/);
  assert.deepEqual(run.received, [], 'the server heard nothing');
});

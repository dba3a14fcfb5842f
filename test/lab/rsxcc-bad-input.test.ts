// rsxcc bad input (issue 4): every failure is one line on stderr, the documented exit status,
// and arrives within the time-out. Secrets never show up in output or in the process list.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { account, drain, run, runOnClient, servers, skip, start, tag } from './rsxcc-lab.ts';

if (skip) test('rsxcc bad input on the lab', { skip }, () => {});

const timeoutS = 3;
/** Start-up, login and exit on top of the time-out itself. */
const slackMs = 2000;

function assertFailure(result: { exitCode: number; stderr: string; stdout: string; ms: number }, code: number, message: RegExp) {
  assert.equal(result.exitCode, code, result.stderr);
  assert.match(result.stderr, /^rsxcc: [^\n]+\n$/, 'exactly one line on stderr');
  assert.match(result.stderr, message);
  assert.equal(result.stdout, '');
  assert.ok(result.ms < timeoutS * 1000 + slackMs, `took ${Math.round(result.ms)} ms`);
}

for (const server of servers) {
  const [host] = server.connect.split(':');
  const alice = (...rest: string[]) => [...account(server, 'alice'), '-T', String(timeoutS), ...rest];

  describe(`rsxcc bad input on ${server.name} (${server.connect})`, () => {
    test('wrong password: 77', async () => {
      const result = await run(['-j', server.jid('alice'), '-p', 'wrong-password', '-x', server.connect, '-a', server.caFile, '-T', String(timeoutS), '-s']);
      assertFailure(result, 77, /^rsxcc: authentication failed at .*: not-authorized/);
    });

    test('wrong CA (the system store does not know the lab CA): 69', async () => {
      const result = await run(['-j', server.jid('alice'), '-P', server.passwordFile('alice'), '-x', server.connect, '-a', '/etc/ssl/certs/ca-certificates.crt', '-T', String(timeoutS), '-s']);
      // Prosody sends its chain with the lab CA in it (it verifies s2s peers with that CA): OpenSSL
      // then names the self-signed root instead of the missing issuer.
      assertFailure(result, 69, /certificate we do not trust \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)\): pass its CA with -a CAFILE/);
    });

    test('-K connects without verifying, and warns on stderr', async () => {
      const result = await run(['-j', server.jid('alice'), '-P', server.passwordFile('alice'), '-x', server.connect, '-K', '-T', String(timeoutS), '-t', server.jid('alice'), '-m', tag('insecure')]);
      assert.equal(result.exitCode, 0, result.stderr);
      assert.match(result.stderr, /^rsxcc: WARNING: -K: the server certificate is NOT verified/);
      await drain(server, 'alice');
    });

    test('closed port: 69', async () => {
      assertFailure(await run(alice('-x', `${host}:5999`, '-s')), 69, new RegExp(`^rsxcc: cannot connect to ${host}:5999: connection refused\\n$`));
    });

    test('a 1 MB body is refused by the server (65, policy-violation) and never delivered', async () => {
      await drain(server, 'bob');
      const result = await run(alice('-t', server.jid('bob')), { input: 'x'.repeat(1024 * 1024) });
      assertFailure(result, 65, /closed the stream: policy-violation/);
      assert.deepEqual(await drain(server, 'bob'), []);
    });

    test('the password never appears in -d output', async () => {
      const password = readFileSync(server.passwordFile('alice'), 'utf8').split('\n')[0]!;
      const result = await run(alice('-d', '-s'));
      assert.equal(result.exitCode, 0, result.stderr);
      assert.match(result.stderr, /<auth [^>]*>\[redacted\]<\/auth>/);
      assert.ok(!result.stderr.includes(password));
      assert.ok(!result.stderr.includes(Buffer.from(password).toString('base64')));
    });

    test('-p: the password leaves the process list once rsxcc has started', async () => {
      const password = readFileSync(server.passwordFile('carol'), 'utf8').split('\n')[0]!;
      const child = start(['-j', server.jid('carol'), '-p', password, '-x', server.connect, '-a', server.caFile, '-c', '-v']);
      try {
        await new Promise<void>((resolve, reject) => {
          let seen = '';
          child.stderr?.on('data', (chunk: Buffer) => {
            seen += chunk.toString();
            if (/waiting for messages/.test(seen)) resolve();
          });
          setTimeout(() => reject(new Error(`rsxcc -c did not come up: ${seen}`)), 10_000);
        });
        const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8');
        assert.ok(!cmdline.includes(password), `ps shows ${JSON.stringify(cmdline)}`);
      } finally {
        child.kill('SIGTERM');
        await child;
      }
    });
  });
}

describe('rsxcc bad input that needs no server', () => {
  const someone = ['-j', 'alice@prosody.chat.test', '-p', 'x', '-T', String(timeoutS)];

  // On the lab's client host, whose only resolver is the lab DNS: a lookup from this machine's
  // own namespace would ask a resolver outside the lab.
  test('unknown host: 69', async () => {
    assertFailure(await runOnClient([...someone, '-x', 'no-such-host.chat.test', '-s']), 69, /^rsxcc: cannot resolve no-such-host\.chat\.test: ENOTFOUND\n$/);
  });

  test('invalid JIDs: 65, before any connection', async () => {
    assertFailure(await run(['-j', 'no-at-sign', '-p', 'x', '-s']), 65, /invalid account JID "no-at-sign": no local part/);
    assertFailure(await run([...someone, '-t', 'bob@exa mple.org', '-m', 'x']), 65, /invalid recipient JID "bob@exa mple\.org": bad domain/);
    assertFailure(await run([...someone, '-t', 'a"b@example.org', '-m', 'x']), 65, /local part contains/);
  });

  test('a body with control characters XML cannot carry: 65', async () => {
    assertFailure(await run([...someone, '-t', 'bob@prosody.chat.test', '-m', 'ding\u0007']), 65, /U\+0007 at offset 4, which XML cannot carry/);
    assertFailure(await run([...someone, '-t', 'bob@prosody.chat.test'], { input: 'nul\u0000' }), 65, /U\+0000 at offset 3/);
  });

  test('empty standard input: 65', async () => {
    assertFailure(await run([...someone, '-t', 'bob@prosody.chat.test'], { input: '' }), 65, /^rsxcc: empty message body: nothing to send\n$/);
    assertFailure(await run([...someone, '-t', 'bob@prosody.chat.test'], { input: '\n' }), 65, /empty message body/);
  });

  test('unknown option and missing argument: 64 with the usage', async () => {
    for (const args of [['-z'], ['-s', '-j']]) {
      const result = await run(args);
      assert.equal(result.exitCode, 64);
      assert.match(result.stderr, /^rsxcc: (illegal option -- z|option requires an argument -- j)\nusage: rsxcc -j JID/);
    }
  });
});

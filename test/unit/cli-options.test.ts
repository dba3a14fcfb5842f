// rsxcc option parsing: every way the command line, config file, environment and prompt combine,
// and every error path with the exit status it leads to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataError } from '../../xmpp/errors.ts';
import { ExitCode, UsageError, exitCodeOf } from '../../cli/errors.ts';
import { parseConfig } from '../../cli/options/config-file.ts';
import { parseCommandLine } from '../../cli/options/getopt.ts';
import { parseOptions, parseServer, type Options } from '../../cli/options/resolve.ts';
import type { OptionSources } from '../../cli/options/sources.ts';

function sources(files: Record<string, string> = {}, env: Record<string, string> = {}, prompt?: string): OptionSources {
  return {
    env: { HOME: '/home/u', ...env },
    readFile(path) {
      if (!(path in files)) throw new Error(`ENOENT: no such file, open '${path}'`);
      return files[path]!;
    },
    promptPassword: prompt === undefined ? undefined : async () => prompt,
  };
}

async function run(args: string[], src: OptionSources = sources({}, { XMPP_PASSWORD: 'envpw' })): Promise<Options> {
  const command = await parseOptions(args, src);
  assert.equal(command.kind, 'run');
  return (command as { options: Options }).options;
}

async function rejects(args: string[], kind: typeof UsageError | typeof DataError, message: RegExp, src?: OptionSources) {
  await assert.rejects(run(args, src), (error: Error) => {
    assert.ok(error instanceof kind, `expected ${kind.name}, got ${error.name}: ${error.message}`);
    assert.match(error.message, message);
    return true;
  });
}

test('-h and -V win over everything else, even missing mode and account', async () => {
  assert.deepEqual(await parseOptions(['-h'], sources()), { kind: 'help' });
  assert.deepEqual(await parseOptions(['-V', '-s'], sources()), { kind: 'version' });
});

test('a send: account, recipients from -t and operands, body, defaults', async () => {
  const options = await run(['-j', 'alice@example.org', '-t', 'bob@example.org', '-m', 'hi', '--', 'carol@example.org']);
  assert.equal(options.mode, 'send');
  assert.deepEqual(options.jid, { local: 'alice', domain: 'example.org', resource: '' });
  assert.deepEqual(options.recipients.map((r) => `${r.local}@${r.domain}`), ['bob@example.org', 'carol@example.org']);
  assert.equal(options.message, 'hi');
  assert.equal(options.output, 'text');
  assert.equal(options.timeoutMs, 10_000);
  assert.equal(options.quietMs, 0);
  assert.equal(options.insecure, false);
  assert.equal(options.server, undefined);
  assert.equal(options.password, 'envpw');
  assert.equal(options.passwordOnCommandLine, false);
});

test('without -m the body is left to standard input; a -m value may start with a dash', async () => {
  assert.equal((await run(['-j', 'a@b.c', '-t', 'b@b.c'])).message, undefined);
  assert.equal((await run(['-j', 'a@b.c', '-t', 'b@b.c', '-m', '-d is not an option here'])).message, '-d is not an option here');
});

test('-s and -c select their modes; clustered flags and attached arguments work', async () => {
  assert.equal((await run(['-j', 'a@b.c', '-s'])).mode, 'unread');
  const listen = await run(['-dvc', '-ja@b.c', '-ojson', '-T2.5', '-w0', '-K', '-a', '/ca.pem', '-x', 'h.example:5223']);
  assert.equal(listen.mode, 'listen');
  assert.equal(listen.debug && listen.verbose && listen.insecure, true);
  assert.equal(listen.output, 'json');
  assert.equal(listen.timeoutMs, 2500);
  assert.equal(listen.quietMs, 0);
  assert.equal(listen.caFile, '/ca.pem');
  assert.deepEqual(listen.server, { host: 'h.example', port: 5223 });
});

test('unknown options and missing arguments are usage errors (exit 64)', async () => {
  await rejects(['-z'], UsageError, /^illegal option -- z$/);
  await rejects(['-s', '-j'], UsageError, /^option requires an argument -- j$/);
  await rejects(['-s', '--json'], UsageError, /^illegal option -- json$/);
  assert.equal(exitCodeOf(new UsageError('x')), ExitCode.usage);
});

test('exactly one mode, and -m only with a recipient', async () => {
  await rejects(['-j', 'a@b.c'], UsageError, /nothing to do/);
  await rejects(['-j', 'a@b.c', '-s', '-c'], UsageError, /-s and -c cannot be combined/);
  await rejects(['-j', 'a@b.c', '-t', 'b@b.c', '-s'], UsageError, /-t and -s cannot be combined/);
  await rejects(['-j', 'a@b.c', '-s', '-m', 'hi'], UsageError, /-m needs a recipient/);
  await rejects(['-j', 'a@b.c', '-c', '-m', 'hi'], UsageError, /-m needs a recipient/);
});

test('bad values for -o, -T, -w and -x are usage errors', async () => {
  await rejects(['-j', 'a@b.c', '-s', '-o', 'xml'], UsageError, /bad output format "xml"/);
  await rejects(['-j', 'a@b.c', '-s', '-T', '0'], UsageError, /bad time-out/);
  await rejects(['-j', 'a@b.c', '-s', '-T', '10s'], UsageError, /bad time-out/);
  await rejects(['-j', 'a@b.c', '-s', '-w', '20000'], UsageError, /bad quiet window/);
  await rejects(['-j', 'a@b.c', '-s', '-x', 'host:0'], UsageError, /bad server "host:0"/);
  await rejects(['-j', 'a@b.c', '-s', '-x', 'host:99999'], UsageError, /bad server/);
});

test('server addresses: host, host:port, bracketed IPv6; a bare IPv6 address is ambiguous', () => {
  assert.deepEqual(parseServer('xmpp.example'), { host: 'xmpp.example', port: 5222 });
  assert.deepEqual(parseServer('192.168.56.10:5322'), { host: '192.168.56.10', port: 5322 });
  assert.deepEqual(parseServer('[::1]:5223'), { host: '::1', port: 5223 });
  assert.deepEqual(parseServer('[fd00::2]'), { host: 'fd00::2', port: 5222 });
  assert.throws(() => parseServer('fd00::2'), UsageError);
  assert.throws(() => parseServer(''), UsageError);
});

test('invalid JIDs are data errors (exit 65), for the account and for recipients', async () => {
  await rejects(['-j', 'example.org', '-s'], DataError, /no local part/);
  await rejects(['-j', 'a@', '-s'], DataError, /missing domain/);
  await rejects(['-j', 'a b@example.org', '-s'], DataError, /local part contains/);
  await rejects(['-j', 'a@b.c', '-t', 'bob@exa mple.org'], DataError, /invalid recipient JID .*bad domain/);
  await rejects(['-j', 'a@b.c', '-t', 'bob@example.org/'], DataError, /empty resource/);
  await rejects(['-j', 'a@b.c', '-t', '@example.org'], DataError, /empty local part/);
  await rejects(['-j', 'a@b.c', '-t', 'bo\u0007b@example.org'], DataError, /control characters/);
  await rejects(['-j', 'a@b.c', '-t', `${'x'.repeat(1024)}@example.org`], DataError, /longer than 1023 bytes/);
  assert.equal(exitCodeOf(new DataError('x')), ExitCode.data);
});

test('password precedence: -p, then -P, then XMPP_PASSWORD, then config file, then the prompt', async () => {
  const files = {
    '/pw': 'from-file\nsecond line is ignored\n',
    '/acct-pw': 'from-config-file\n',
    '/cfg': '[a@b.c]\npassword-file = /acct-pw\n',
    '/cfg2': '[a@b.c]\npassword = from-config\n',
  };
  const env = { XMPP_PASSWORD: 'from-env' };
  const all = sources(files, env, 'from-prompt');
  const base = ['-j', 'a@b.c', '-s', '-f', '/cfg'];
  const withP = await run([...base, '-p', 'from-argv', '-P', '/pw'], all);
  assert.equal(withP.password, 'from-argv');
  assert.equal(withP.passwordOnCommandLine, true);
  assert.equal((await run([...base, '-P', '/pw'], all)).password, 'from-file');
  assert.equal((await run(base, all)).password, 'from-env');
  assert.equal((await run(base, sources(files, {}, 'from-prompt'))).password, 'from-config-file');
  assert.equal((await run(['-j', 'a@b.c', '-s', '-f', '/cfg2'], sources(files, {}, 'from-prompt'))).password, 'from-config');
  const prompted = await run(['-j', 'a@b.c', '-s'], sources({}, {}, 'from-prompt'));
  assert.equal(prompted.password, 'from-prompt');
  assert.equal(prompted.passwordSource, 'prompt');
});

test('no password anywhere (no terminal, or an empty answer) is a usage error', async () => {
  await rejects(['-j', 'a@b.c', '-s'], UsageError, /no password for a@b\.c/, sources());
  await rejects(['-j', 'a@b.c', '-s'], UsageError, /no password/, sources({}, {}, ''));
  await rejects(['-j', 'a@b.c', '-s'], UsageError, /no password/, sources({}, { XMPP_PASSWORD: '' }));
});

test('password files must exist and have a non-empty first line', async () => {
  await rejects(['-j', 'a@b.c', '-s', '-P', '/missing'], UsageError, /cannot read password file \/missing: ENOENT/);
  await rejects(['-j', 'a@b.c', '-s', '-P', '/empty'], UsageError, /password file \/empty is empty/, sources({ '/empty': '\nx' }));
});

test('config file: [defaults] and the account section, command line first', async () => {
  const config = [
    '# rsxcc config',
    '[defaults]',
    'account = alice@example.org',
    'cafile = /default-ca.pem',
    'output = json',
    'timeout = 3',
    '',
    '; per account',
    '[alice@example.org]',
    'server = 192.168.56.11:5222',
    'password = secret',
    'quiet = 50',
  ].join('\n');
  const src = sources({ '/home/u/.config/rsxcc/config': config });
  const options = await run(['-s'], src);
  assert.equal(`${options.jid.local}@${options.jid.domain}`, 'alice@example.org');
  assert.deepEqual(options.server, { host: '192.168.56.11', port: 5222 });
  assert.equal(options.caFile, '/default-ca.pem');
  assert.equal(options.output, 'json');
  assert.equal(options.timeoutMs, 3000);
  assert.equal(options.quietMs, 50);
  assert.equal(options.password, 'secret');
  const overridden = await run(['-s', '-o', 'text', '-x', 'other:1', '-a', '/ca.pem', '-T', '1'], src);
  assert.equal(overridden.output, 'text');
  assert.deepEqual(overridden.server, { host: 'other', port: 1 });
  assert.equal(overridden.caFile, '/ca.pem');
  assert.equal(overridden.timeoutMs, 1000);
});

test('XDG_CONFIG_HOME moves the default config file; a missing default file is fine', async () => {
  const src = sources({ '/xdg/rsxcc/config': '[defaults]\naccount = x@y.z\n[x@y.z]\npassword = p\n' }, { XDG_CONFIG_HOME: '/xdg' });
  assert.equal((await run(['-s'], src)).jid.local, 'x');
  assert.equal((await run(['-j', 'a@b.c', '-s'])).caFile, undefined);
});

test('config file errors name the file and line', () => {
  assert.throws(() => parseConfig('[defaults]\ncolour = blue\n', '/c'), /^UsageError: \/c:2: unknown key "colour"$/);
  assert.throws(() => parseConfig('account = a@b.c\n', '/c'), /\/c:1: "account" outside a \[section\]/);
  assert.throws(() => parseConfig('[defaults]\njust words\n', '/c'), /\/c:2: expected "key = value"/);
  assert.throws(() => parseConfig('[not a jid]\n', '/c'), DataError);
});

test('-f names a config file that must exist', async () => {
  await rejects(['-j', 'a@b.c', '-s', '-f', '/nope'], UsageError, /cannot read config file \/nope/);
});

test('parseCommandLine alone reads nothing and keeps repeated -t in order', () => {
  const line = parseCommandLine(['-t', 'x@y.z', '-t', 'w@y.z', 'v@y.z']);
  assert.deepEqual(line.recipients, ['x@y.z', 'w@y.z', 'v@y.z']);
});

test('the extra CA file the launcher hands over (NODE_EXTRA_CA_CERTS, renamed) is kept for the session; empty means none', async () => {
  const extra = await run(['-j', 'a@b.c', '-s'], sources({}, { XMPP_PASSWORD: 'pw', RSXCC_EXTRA_CA_CERTS: '/etc/ssl/extra.pem' }));
  assert.equal(extra.extraCaFile, '/etc/ssl/extra.pem');
  const unset = await run(['-j', 'a@b.c', '-s'], sources({}, { XMPP_PASSWORD: 'pw', RSXCC_EXTRA_CA_CERTS: '' }));
  assert.equal(unset.extraCaFile, undefined);
});

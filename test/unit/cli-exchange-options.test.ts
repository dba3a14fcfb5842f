// The options of request and reply (-q -W) and of the responder (-R -A -C -L): defaults, the
// config file's keys, and every mistake as a usage error (64) before a password is asked for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../cli/errors.ts';
import { parseOptions, type Options } from '../../cli/options/resolve.ts';
import { DataError } from '../../xmpp/errors.ts';

const account = ['-j', 'alice@example.org'];

async function options(args: string[], config = ''): Promise<Options> {
  const files: Record<string, string> = { '/rc': config };
  const command = await parseOptions([...account, '-f', '/rc', ...args], {
    env: { XMPP_PASSWORD: 'pw' },
    readFile: (file) => files[file] ?? (() => { throw new Error('ENOENT'); })(),
  });
  assert.equal(command.kind, 'run');
  return (command as { options: Options }).options;
}

test('-q: request mode to the one recipient; the reply wait defaults to -T, -r or "reply-wait" sets it', async () => {
  const plain = await options(['-T', '4', '-q', '-t', 'bob@example.org', '-m', 'hi']);
  assert.deepEqual([plain.mode, plain.recipients.length, plain.replyWaitMs], ['request', 1, 4000]);
  assert.equal((await options(['-q', '-r', '90', '-t', 'bob@example.org'])).replyWaitMs, 90_000);
  assert.equal((await options(['-q', 'bob@example.org'], '[defaults]\nreply-wait = 2.5\n')).replyWaitMs, 2500, 'an operand is the recipient too');
});

test('-R: the operands are the command, not recipients; -A, -C, -L and their config keys; defaults 1 and 60 s', async () => {
  const { mode, recipients, responder } = await options(['-R', '-A', 'Bob@Example.org', '-A', 'carol@example.org', '--', 'wc', '-c']);
  assert.deepEqual([mode, recipients], ['respond', []]);
  assert.deepEqual(responder, { command: ['wc', '-c'], allow: new Set(['bob@example.org', 'carol@example.org']), concurrency: 1, timeLimitMs: 60_000 });
  const config = '[defaults]\nallow = bob@example.org, dave@example.org\nconcurrency = 4\ntime-limit = 0.5\n';
  const fromFile = (await options(['-R', 'cat'], config)).responder!;
  assert.deepEqual([[...fromFile.allow], fromFile.concurrency, fromFile.timeLimitMs], [['bob@example.org', 'dave@example.org'], 4, 500]);
  assert.deepEqual([...(await options(['-R', '-A', 'erin@example.org', 'cat'], config)).responder!.allow], ['erin@example.org'], '-A replaces the file\'s list');
});

test('every misuse of the new options is one usage error (64)', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['-q'], /^-q sends one request: give exactly one recipient \(-t JID\), not 0$/],
    [['-q', '-t', 'bob@example.org', '-t', 'carol@example.org'], /exactly one recipient .* not 2$/],
    [['-q', '-s'], /^-q and -s cannot be combined$/],
    [['-t', 'bob@example.org', '-r', '5'], /^-r needs -q$/],
    [['-s', '-A', 'bob@example.org'], /^-A needs -R$/],
    [['-c', '-C', '2'], /^-C needs -R$/],
    [['-t', 'bob@example.org', '-L', '2'], /^-L needs -R$/],
    [['-R', '-A', 'bob@example.org'], /^-R needs a command/],
    [['-R', '--', 'cat'], /^-R runs the command only for senders named with -A JID .*: none given$/],
    [['-R', '-A', 'bob@example.org/phone', 'cat'], /^an allowed sender is a bare JID \(user@domain\), not "bob@example.org\/phone"$/],
    [['-R', '-A', 'example.org', 'cat'], /bare JID/],
    [['-R', '-A', 'bob@example.org', '-C', '0', 'cat'], /^bad concurrency "0": expected a whole number from 1 to 64$/],
    [['-R', '-A', 'bob@example.org', '-C', '1.5', 'cat'], /^bad concurrency/],
    [['-R', '-A', 'bob@example.org', '-L', '0', 'cat'], /^bad time limit \(seconds\) "0"/],
    [['-q', '-r', 'soon', '-t', 'bob@example.org'], /^bad reply wait \(seconds\) "soon"/],
    [['-R', '-t', 'bob@example.org', 'cat'], /^-t and -R cannot be combined$/],
  ];
  for (const [args, message] of cases) {
    await assert.rejects(options(args), (error: Error) => error instanceof UsageError && message.test(error.message), args.join(' '));
  }
  await assert.rejects(options(['-R', '-A', 'b@@x', 'cat']), DataError, 'an invalid JID is bad data (65), as for -t');
});

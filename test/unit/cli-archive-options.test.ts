// rsxcc's options of issue 14 (-n, -H, -W, -B, -E, -N, -M, -k, -S): what each resolves to, the
// times ISO 8601 allows, and every misuse a one-line usage (64) or data (65) error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataError } from '../../xmpp/errors.ts';
import { ExitCode, UsageError, exitCodeOf } from '../../cli/errors.ts';
import { parseTime } from '../../cli/options/archive.ts';
import { parseOptions, type Options } from '../../cli/options/resolve.ts';
import type { OptionSources } from '../../cli/options/sources.ts';

const sources = (files: Record<string, string> = {}): OptionSources => ({
  env: { HOME: '/home/u', XMPP_PASSWORD: 'pw' },
  readFile(path) {
    if (!(path in files)) throw new Error(`ENOENT: ${path}`);
    return files[path]!;
  },
});

async function run(args: string[], src = sources()): Promise<Options> {
  const command = await parseOptions(['-j', 'a@b.c', ...args], src);
  assert.equal(command.kind, 'run');
  return (command as { options: Options }).options;
}

async function rejects(args: string[], kind: typeof UsageError | typeof DataError, message: RegExp) {
  await assert.rejects(run(args), (error: Error) => {
    assert.ok(error instanceof kind, `expected ${kind.name}, got ${error.name}: ${error.message}`);
    assert.match(error.message, message);
    assert.equal(exitCodeOf(error), kind === UsageError ? ExitCode.usage : ExitCode.data);
    return true;
  });
}

test('given -n, -H or -M, then each is a mode of its own; a send defaults to chat with no subject', async () => {
  assert.equal((await run(['-n'])).mode, 'peek');
  assert.equal((await run(['-H'])).mode, 'history');
  const archiving = await run(['-M', 'roster']);
  assert.equal(archiving.mode, 'archiving');
  assert.equal(archiving.archiveDefault, 'roster');
  const send = await run(['-t', 'b@b.c', '-m', 'x']);
  assert.equal(send.kind, 'chat');
  assert.equal(send.subject, undefined);
  assert.deepEqual(send.history, {});
});

test('given -k and -S with a recipient, then the send carries them', async () => {
  const options = await run(['-k', 'headline', '-S', 'Alert', '-t', 'b@b.c']);
  assert.equal(options.kind, 'headline');
  assert.equal(options.subject, 'Alert');
  assert.equal((await run(['-knormal', '-t', 'b@b.c'])).kind, 'normal');
});

test('given -H with filters and a room operand, then the history filter holds them, times in UTC', async () => {
  const options = await run(['-H', '-W', 'bob@x.org/phone', '-B', '2026-12-01', '-E', '2026-12-01T10:30+01:00', '-N', '20', 'lounge@rooms.x.org']);
  const { room, with: peer, start, end, max } = options.history;
  assert.deepEqual(room, { local: 'lounge', domain: 'rooms.x.org', resource: '' });
  assert.deepEqual(peer, { local: 'bob', domain: 'x.org', resource: 'phone' });
  assert.equal(start?.toISOString(), '2026-12-01T00:00:00.000Z');
  assert.equal(end?.toISOString(), '2026-12-01T09:30:00.000Z');
  assert.equal(max, 20);
  assert.deepEqual(options.recipients, [], 'the room is not a recipient');
});

test('ISO 8601 times: a date, a time with Z or an offset, seconds and fractions, a space for the T; nothing else', () => {
  const cases: Array<[string, string]> = [
    ['2026-12-01', '2026-12-01T00:00:00.000Z'],
    ['2026-12-01T08:00Z', '2026-12-01T08:00:00.000Z'],
    ['2026-12-01 08:00:05Z', '2026-12-01T08:00:05.000Z'],
    ['2026-12-01T08:00:05.25-02:30', '2026-12-01T10:30:05.250Z'],
    ['2024-02-29T23:59:59Z', '2024-02-29T23:59:59.000Z'],
  ];
  for (const [text, iso] of cases) assert.equal(parseTime(text, '-B').toISOString(), iso, text);
  for (const bad of ['yesterday', '2026-12-01T08:00', '2026-02-30', '2025-02-29', '2026-13-01', '2026-12-01T24:00Z', '2026-12-01T08:60Z', '2026-12-01T08:00+24:00', '2026-1-1', ' 2026-12-01', '0050-01-01']) {
    assert.throws(() => parseTime(bad, '-B'), (error: Error) => error instanceof UsageError && error.message.startsWith(`bad time ${JSON.stringify(bad)} for -B: expected ISO 8601`), bad);
  }
});

test('given an option of another mode, then it is a usage error naming what it needs', async () => {
  await rejects(['-s', '-k', 'headline'], UsageError, /^-k needs a recipient \(-t JID\)$/);
  await rejects(['-H', '-S', 'x'], UsageError, /^-S needs a recipient/);
  await rejects(['-s', '-W', 'b@b.c'], UsageError, /^-W needs -H$/);
  await rejects(['-t', 'b@b.c', '-B', '2026-12-01'], UsageError, /^-B needs -H$/);
  await rejects(['-n', '-E', '2026-12-01'], UsageError, /^-E needs -H$/);
  await rejects(['-M', 'always', '-N', '5'], UsageError, /^-N needs -H$/);
  await rejects(['-H', '-m', 'x'], UsageError, /^-m needs a recipient/);
});

test('given two modes, or bad values, then a usage error (64); a bad JID is bad data (65)', async () => {
  await rejects(['-H', '-n'], UsageError, /^-H and -n cannot be combined$/);
  await rejects(['-s', '-M', 'always'], UsageError, /^-s and -M cannot be combined$/);
  await rejects(['-n', 'b@b.c'], UsageError, /^-t and -n cannot be combined$/);
  await rejects(['-k', 'urgent', '-t', 'b@b.c'], UsageError, /^bad message kind "urgent": expected chat, normal or headline$/);
  await rejects(['-M', 'sometimes'], UsageError, /^bad archiving default "sometimes": expected always, never or roster$/);
  await rejects(['-H', '-N', '0'], UsageError, /^bad count "0"/);
  await rejects(['-H', '-N', '2.5'], UsageError, /^bad count "2.5"/);
  await rejects(['-H', '-B', '2026-12-02', '-E', '2026-12-01'], UsageError, /is after -E/);
  await rejects(['-H', 'a@rooms.x', 'b@rooms.x'], UsageError, /at most one room JID/);
  await rejects(['-H', 'lounge@rooms.x/nick'], DataError, /invalid room JID .*bare JID/);
  await rejects(['-H', '-W', 'bob@'], DataError, /invalid JID for -W/);
  await rejects([], UsageError, /^nothing to do: give -t JID, -g ROOM, -q, -s, -c, -R, -H, -n or -M$/);
});

test('config file: kind and history-max are defaults the command line overrides', async () => {
  const src = sources({ '/home/u/.config/rsxcc/config': '[defaults]\nkind = normal\nhistory-max = 100\n' });
  assert.equal((await run(['-t', 'b@b.c'], src)).kind, 'normal');
  assert.equal((await run(['-k', 'chat', '-t', 'b@b.c'], src)).kind, 'chat');
  assert.equal((await run(['-H'], src)).history.max, 100);
  assert.equal((await run(['-H', '-N', '7'], src)).history.max, 7);
  await assert.rejects(run(['-t', 'b@b.c'], sources({ '/home/u/.config/rsxcc/config': '[defaults]\nkind = loud\n' })), /bad message kind "loud"/);
});

test('given a bad time and no password anywhere, then the bad time is the error, before any prompt', async () => {
  const src: OptionSources = {
    env: { HOME: '/home/u' },
    readFile: () => {
      throw new Error('ENOENT');
    },
    promptPassword: async () => assert.fail('prompted for a password before the options were checked'),
  };
  await assert.rejects(parseOptions(['-j', 'a@b.c', '-H', '-B', 'soon'], src), /^UsageError: bad time "soon" for -B/);
});

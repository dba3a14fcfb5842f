// rsxcc -g and -G: which rooms, which nick, which password, and every bad input's exit status,
// all decided before a connection is made. A room password never comes from the command line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diagnostics } from '../../cli/debug.ts';
import { ExitCode, exitCodeOf, Failures } from '../../cli/errors.ts';
import { NickConflictError, RecipientError, RoomError, RoomForbiddenError, TimeoutError } from '../../xmpp/errors.ts';
import { rsxccOptions } from './rsxcc-run.ts';

const LAB = 'lab@conference.example.org';
const CONFIG = '/home/u/.config/rsxcc/config';

async function refused(args: string[], status: number, message: RegExp, env?: Record<string, string>, files?: Record<string, string>) {
  await assert.rejects(rsxccOptions(args, env, files), (error: Error) => {
    assert.equal(exitCodeOf(error), status, `${error.name}: ${error.message}`);
    assert.match(error.message, message);
    return true;
  });
}

test('given -g ROOM/NICK, rooms are sent to; mixed with -t, one body goes to both; with -c they are followed', async () => {
  const mixed = await rsxccOptions(['-t', 'bob@example.org', '-g', `${LAB}/alice`, '-g', 'ops@Conference.Example.org/al', '-m', 'hi']);
  assert.equal(mixed.mode, 'send');
  assert.deepEqual(mixed.rooms, [
    { room: LAB, nick: 'alice' },
    { room: 'ops@conference.example.org', nick: 'al' },
  ]);
  assert.equal(mixed.recipients.length, 1);
  const follow = await rsxccOptions(['-c', '-g', `${LAB}/alice`]);
  assert.equal(follow.mode, 'listen');
  assert.equal(follow.rooms.length, 1);
});

test('given a room without a nick, then it is "nick" of the room\'s config section, else of the account\'s section or [defaults], else a usage error (64)', async () => {
  await refused(['-g', LAB, '-m', 'x'], 64, /^no nick for room lab@conference\.example\.org: give -g lab@conference\.example\.org\/NICK, or "nick" in the config file$/);
  const config = `[defaults]\nnick = fallback\n[${LAB}]\nnick = labnick\n`;
  const options = await rsxccOptions(['-g', LAB, '-g', 'ops@conference.example.org', '-m', 'x'], {}, { [CONFIG]: config });
  assert.deepEqual(options.rooms.map((room) => room.nick), ['labnick', 'fallback']);
});

test('given a bad room, then a data error (65): no room name, or a nick no JID can carry', async () => {
  await refused(['-g', 'conference.example.org/alice', '-m', 'x'], 65, /invalid room JID "conference\.example\.org\/alice": no room name/);
  await refused(['-g', `${LAB}/`, '-m', 'x'], 65, /empty resource/);
  await refused(['-g', LAB, '-m', 'x'], 65, /nick for lab@conference\.example\.org .*control characters/, {}, { [CONFIG]: `[${LAB}]\nnick = a\u0007b\n` });
});

test('given -g with -s, -m with -c, or -G without a room, then a usage error (64)', async () => {
  await refused(['-g', `${LAB}/alice`, '-s'], 64, /^-g and -s cannot be combined$/);
  await refused(['-c', '-g', `${LAB}/alice`, '-m', 'hi'], 64, /^-m needs a recipient \(-t JID or -g ROOM\)$/);
  await refused(['-t', 'bob@example.org', '-G', '/pw'], 64, /^-G needs a room/, {}, { '/pw': 'x\n' });
  await refused([], 64, /^nothing to do: give -t JID, -g ROOM, -q, -s, -c, -R, -H, -n or -M$/);
});

test('given room passwords in -G FILE, XMPP_ROOM_PASSWORD and the room\'s config section, then -G wins, then the environment, then the config; none is fine until a room asks', async () => {
  const files = { '/room-pw': 'from-file\nignored\n', [CONFIG]: `[${LAB}]\npassword = from-config\n` };
  const env = { XMPP_ROOM_PASSWORD: 'from-env' };
  const args = ['-g', `${LAB}/alice`, '-m', 'x'];
  const pick = async (extra: string[], e: Record<string, string>) => (await rsxccOptions([...args, ...extra], e, files)).rooms[0]!;
  assert.deepEqual(await pick(['-G', '/room-pw'], env), { room: LAB, nick: 'alice', password: 'from-file', passwordSource: '-G /room-pw' });
  assert.equal((await pick([], env)).password, 'from-env');
  assert.deepEqual(await pick([], {}), { room: LAB, nick: 'alice', password: 'from-config', passwordSource: 'config password' });
  assert.equal((await rsxccOptions(args)).rooms[0]!.password, undefined);
});

test('given a room password on the command line, then it is never taken as one: -G names a file (unreadable: 64), and no option takes a room password', async () => {
  await refused(['-g', `${LAB}/alice`, '-G', 'sesame', '-m', 'x'], 64, /^cannot read password file sesame: ENOENT/);
  await refused(['-G', '/empty', '-g', `${LAB}/alice`, '-m', 'x'], 64, /^password file \/empty is empty$/, {}, { '/empty': '\n' });
  const { options } = await import('../../cli/options/table.ts');
  assert.deepEqual(options.filter((option) => /PASSWORD/.test(option.arg ?? '')).map((option) => option.letter), ['p'], 'only the account password has an argv form');
});

test('room refusals map to their exit statuses; several failures exit with the first one\'s', () => {
  assert.equal(exitCodeOf(new RoomForbiddenError(LAB, 'registration-required', 'not a member of the room')), ExitCode.noperm);
  assert.equal(exitCodeOf(new NickConflictError(LAB, 'conflict', 'nick in use')), ExitCode.data);
  assert.equal(exitCodeOf(new RoomError(LAB, 'item-not-found', 'no such room')), ExitCode.unavailable);
  assert.equal(exitCodeOf(new RoomError(LAB, 'service-unavailable', 'full')), ExitCode.unavailable, 'a retry may cure it');
  const several = new Failures([new TimeoutError('slow.example did not confirm in time'), new RecipientError('bob@example.org', 'service-unavailable')]);
  assert.equal(exitCodeOf(several), ExitCode.tempfail);
  assert.equal(several.message, '2 recipients failed: slow.example did not confirm in time; bob@example.org: service-unavailable');
});

test('given a room password, then -d masks it in the trace as it masks the account password', async () => {
  const options = await rsxccOptions(['-d', '-g', `${LAB}/alice`, '-m', 'x'], { XMPP_ROOM_PASSWORD: 'sesame', XMPP_PASSWORD: 'hunter2' });
  let written = '';
  const stderr = { write: (text: string) => ((written += text), true) } as unknown as NodeJS.WritableStream;
  diagnostics(options, stderr).trace!('out', `<presence to="${LAB}/alice"><x><password>sesame</password></x></presence><auth>hunter2</auth>`);
  assert.match(written, /<password>\[redacted\]<\/password>/);
  assert.doesNotMatch(written, /sesame|hunter2/);
});

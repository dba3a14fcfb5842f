// rsxcc -M against the fake server: the archiving default set with the account's always and never
// lists kept, the default printed the one the server answers; no archive is a 69.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExitCode, exitCodeOf } from '../../cli/errors.ts';
import { archiveDefault, formatDefault } from '../../cli/modes/archiving.ts';
import { NotSupportedError } from '../../xmpp/errors.ts';
import { NS_MAM } from '../../xmpp/mam.ts';
import { ACCOUNT, discoInfo, fakePrefs, login } from './fake-archive.ts';
import { fakeServer, iqRoute, type IqHandler } from './fake-xmpp-server.ts';

async function setDefault(handlers: IqHandler[], value: 'always' | 'never' | 'roster'): Promise<string> {
  const server = await fakeServer([], { route: iqRoute(handlers) });
  const session = await login(server);
  try {
    return await archiveDefault(session, value);
  } finally {
    await session.close();
    server.close();
  }
}

test("given prefs 'never' with a never-list, when -M always runs, then the default becomes always, the list is kept, and the server's answer is printed", async () => {
  const initial = `<prefs xmlns='${NS_MAM}' default='never'><always/><never><jid>spam@example.org</jid></never></prefs>`;
  const prefs = fakePrefs(initial);
  const applied = await setDefault([discoInfo(ACCOUNT, [NS_MAM]), prefs.handler], 'always');
  assert.equal(applied, 'always');
  assert.equal(prefs.sets.length, 1);
  assert.match(prefs.sets[0]!, /default="always"/);
  assert.match(prefs.sets[0]!, /<never><jid>spam@example.org<\/jid><\/never>/, 'the never list survives the set');
  assert.equal(formatDefault(applied, 'text'), 'always\n');
  assert.equal(formatDefault(applied, 'json'), '{"default":"always"}\n');
});

test('given an account without a message archive, when -M runs, then it fails with NotSupportedError (69) and sets nothing', async () => {
  const prefs = fakePrefs(`<prefs xmlns='${NS_MAM}' default='never'/>`);
  await assert.rejects(setDefault([discoInfo(ACCOUNT, []), prefs.handler], 'always'), (error: Error) => error instanceof NotSupportedError && exitCodeOf(error) === ExitCode.unavailable);
  assert.deepEqual(prefs.sets, []);
});

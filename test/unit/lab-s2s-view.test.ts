// `chatlab status` reads federation from Prosody's own admin shell: its table, parsed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProsodyS2s } from '../../provision/lab/s2s-view.ts';

test("given Prosody's s2s:show() table, each stream is read with its local host, direction and remote host; other lines are not", () => {
  const table = [
    '**************************',
    'Prosody was unable to find lua-unbound',
    'Session ID           | Host                   | Dir  | Remote                 | IPv  | Security  | SASL       | Dialback     ',
    's2sout564e57c817f0   | prosody.chat.test      | -->  | ejabberd.chat.test     | IPv4 | TLSv1.3   | Succeeded  | Not used     ',
    's2sin564e57c6ea00    | conference.prosody.chat.test | <--  | ejabberd.chat.test | IPv4 | TLSv1.3   | Succeeded  | Not used     ',
    'OK: 2 s2s connections shown',
  ].join('\n');
  assert.deepEqual(parseProsodyS2s(table), ['prosody.chat.test -> ejabberd.chat.test', 'conference.prosody.chat.test <- ejabberd.chat.test']);
  assert.deepEqual(parseProsodyS2s('OK: 0 s2s connections shown\n'), []);
});

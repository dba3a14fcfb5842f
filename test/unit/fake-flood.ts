// A stored backlog as the lab's servers send it when the account comes online: N messages of
// 100-200 characters (some escaped in XML, some beyond ASCII), shaped as ejabberd sends them (one
// TLS record each, with <delay/>, <archived/> and <stanza-id/>) or as Prosody does (16 kB writes,
// <delay/>). For fake-xmpp-server.ts's flood: bench/drain-profile.ts and the drain's tests.
import { ACCOUNT } from './fake-archive.ts';
import type { Flood } from './fake-xmpp-server.ts';

export type Flavour = 'ejabberd' | 'prosody';

const SENDER = 'bob@example.org/bench';
const WORDS = 'the quick brown fox jumps over a lazy dog while an agent drains its backlog & counts <every> line; caf\u00e9 d\u00e9j\u00e0 vu \u{1F600} "quoted" it\'s'.split(' ');

/** Body i: a marker with its number, then words up to 100-200 characters (some that XML escapes, some not ASCII). */
export function body(marker: string, i: number): string {
  const length = 100 + ((i * 37) % 101);
  let text = `${marker}-${i}`;
  for (let w = i; text.length < length; w++) text += ` ${WORDS[w % WORDS.length]}`;
  return text;
}

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;');
const stamp = (i: number) => new Date(Date.UTC(2026, 10, 23, 10, 0, 0) + i * 7).toISOString();

/** A stored message as ejabberd 23.01 sends it from offline storage (MAM on: archived and stanza-id). */
function ejabberdStanza(marker: string, i: number): string {
  const sid = String(1_763_892_000_000_000 + i * 1013);
  return (
    `<message xml:lang='en' to='${ACCOUNT}' from='${SENDER}' type='chat' id='${marker}-${i}' xmlns='jabber:client'>` +
    `<archived by='${ACCOUNT}' xmlns='urn:xmpp:mam:tmp' id='${sid}'/><stanza-id by='${ACCOUNT}' xmlns='urn:xmpp:sid:0' id='${sid}'/>` +
    `<body>${escape(body(marker, i))}</body><delay xmlns='urn:xmpp:delay' from='example.org' stamp='${stamp(i).replace('Z', '000Z')}'>Offline storage</delay></message>`
  );
}

/** A stored message as Prosody 0.12 sends it from mod_offline. */
function prosodyStanza(marker: string, i: number): string {
  return (
    `<message from='${SENDER}' type='chat' id='${marker}-${i}' to='${ACCOUNT}' xml:lang='en'><body>${escape(body(marker, i))}</body>` +
    `<delay xmlns='urn:xmpp:delay' from='example.org' stamp='${stamp(i).replace(/\.\d+Z$/, 'Z')}'/></message>`
  );
}

export function flood(flavour: Flavour, marker: string, n: number): Flood {
  const make = flavour === 'ejabberd' ? ejabberdStanza : prosodyStanza;
  return { stanzas: Array.from({ length: n }, (_, i) => make(marker, i)), writes: flavour === 'ejabberd' ? 'each' : 'batched' };
}


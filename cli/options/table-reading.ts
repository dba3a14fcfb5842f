// rsxcc's options of reading without taking (unread, peek, history, archiving) and of the kind sent; a part of the one option table (table.ts).
import type { Option } from './option-types.ts';

const r = String.raw;

export const readingOptions: readonly Option[] = [
  {
    letter: 's',
    help: ['show unread messages and exit'],
    man: [
      'Show unread messages and exit.',
    ],
    set: (line) => { line.showUnread = true; },
  },
  {
    letter: 'n',
    help: ['peek: count the offline messages waiting, by sender, without taking them', '(XEP-0013; 69 where the server does not offer it)'],
    man: [
      'Peek: print how many offline messages wait, and how many from each sender, without taking',
      'them (see',
      '.BR "PEEK AND HISTORY" ).',
    ],
    set: (line) => { line.peek = true; },
  },
  {
    letter: 'H',
    help: ['history: print the message archive, oldest first (XEP-0313); an operand', "names a room whose archive to read instead of the account's"],
    man: [
      'History: print the account\'s message archive (XEP-0313), oldest first, page by page; an',
      'operand (or',
      r`.BR \-t )`,
      'names a room whose archive to read instead (see',
      '.BR "PEEK AND HISTORY" ).',
    ],
    set: (line) => { line.history = true; },
  },
  {
    letter: 'W',
    arg: 'JID',
    help: ['with -H: only messages exchanged with JID (a bare JID matches its resources)'],
    man: [
      'With',
      r`.BR \-H :`,
      'only messages exchanged with this JID; a bare JID matches all its resources.',
    ],
    set: (line, value) => { line.withJid = value; },
  },
  {
    letter: 'B',
    arg: 'TIME',
    help: ['with -H: only messages from TIME on (ISO 8601: 2026-12-01, 2026-12-01T08:00Z)'],
    man: [
      'With',
      r`.BR \-H :`,
      'only messages archived at or after this time. ISO 8601:',
      '.I YYYY-MM-DD',
      '(midnight UTC) or',
      r`.IR YYYY-MM-DD T hh:mm [: ss [. fff ]]Z`,
      'or with an offset',
      '.RI + hh:mm',
      'or',
      r`.RI \- hh:mm`,
      'instead of Z;',
      'a space may stand for the T, so a time copied from the text output works. A bad time',
      'exits 64.',
    ],
    set: (line, value) => { line.start = value; },
  },
  {
    letter: 'E',
    arg: 'TIME',
    help: ['with -H: only messages up to TIME (same formats as -B)'],
    man: [
      'With',
      r`.BR \-H :`,
      'only messages archived at or before this time; formats as for',
      r`.BR \-B .`,
    ],
    set: (line, value) => { line.end = value; },
  },
  {
    letter: 'N',
    arg: 'COUNT',
    help: ['with -H: at most COUNT messages, the oldest that match (default: all)'],
    man: [
      'With',
      r`.BR \-H :`,
      'stop after this many messages, the oldest that match (1 to 1000000000; default all, or',
      '.B history-max',
      'from the config file). For the latest ones, give',
      r`.BR \-B .`,
    ],
    set: (line, value) => { line.max = value; },
  },
  {
    letter: 'M',
    arg: 'DEFAULT',
    help: ["set the account's archiving default (always, never or roster), print the result"],
    manTag: r`.BR \-M " always" | never | roster`,
    man: [
      "Set the account's archiving preference (XEP-0313",
      '.BR prefs )',
      'to this default, keeping its always and never lists, and print the default the server',
      'now applies. Archiving is opt-in on the lab\'s servers: an account archives nothing until',
      'this is set.',
    ],
    set: (line, value) => { line.archiveDefault = value; },
  },
  {
    letter: 'k',
    arg: 'KIND',
    help: ['send as chat (default), normal or headline; a headline is not stored', 'for an offline recipient (RFC 6121)'],
    manTag: r`.BR \-k " chat" | normal | headline`,
    man: [
      'The message type of a send (default',
      '.BR chat ,',
      'or',
      '.B kind',
      'from the config file). A',
      '.B headline',
      'is delivered to the recipient\'s online resources and never stored: the server drops one',
      'for an offline recipient, or an account that does not exist, without an error (RFC 6121,',
      '8.5), and exit 0 then means only that the server handled it.',
    ],
    set: (line, value) => { line.kind = value; },
  },
  {
    letter: 'S',
    arg: 'SUBJECT',
    help: ['subject of the message sent (<subject/>)'],
    man: [
      'A subject for the message sent; like the body, it must be text XML can carry (else 65).',
    ],
    set: (line, value) => { line.subject = value; },
  },
];

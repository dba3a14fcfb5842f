// rsxcc's options of sending: to whom (users, rooms); a part of the one option table (table.ts).
import type { Option } from './option-types.ts';

const r = String.raw;

export const sendingOptions: readonly Option[] = [
  {
    letter: 't',
    arg: 'JID',
    help: ['send to JID; repeat for several recipients (operands are recipients too)'],
    man: [
      'Recipient; repeat for several. Operands after the options are recipients too.',
    ],
    set: (line, value) => { line.recipients.push(value); },
  },
  {
    letter: 'm',
    arg: 'MESSAGE',
    help: ['message body; without -m the body is read from standard input'],
    man: [
      'The body. Without',
      r`.BR \-m ,`,
      'the body is standard input, less one trailing newline. An empty body is an error (65), so a',
      'broken pipe in a cron job is noticed.',
    ],
    set: (line, value) => { line.message = value; },
  },
  {
    letter: 'g',
    arg: 'ROOM/NICK',
    help: ['send to chat room ROOM (room@service, XEP-0045) as NICK; repeat for several,', 'mixed with -t if wanted; with -c, follow the rooms (rsxcc(1), ROOMS)'],
    manTag: r`.BI \-g " ROOM@SERVICE/NICK"`,
    man: [
      'A multi-user chat room to send to, as',
      '.IR NICK ;',
      'repeat for several, mixed with',
      r`.B \-t`,
      'recipients if wanted (the same body goes to all). With',
      r`.BR \-c ,`,
      'the rooms to follow. Without',
      '.I /NICK',
      'the nick is',
      '.B nick',
      'from the config file (see',
      '.BR FILES ),',
      'else a usage error. See',
      '.BR ROOMS .',
    ],
    set: (line, value) => { line.rooms.push(value); },
  },
  {
    letter: 'G',
    arg: 'FILE',
    help: ['read the room password from the first line of FILE (or XMPP_ROOM_PASSWORD)'],
    man: [
      'Read the password of password-protected rooms from the first line of',
      '.IR FILE .',
      'Without it,',
      '.BR XMPP_ROOM_PASSWORD ,',
      "else the room's section of the config file. A room password is never taken from the command line.",
    ],
    set: (line, value) => { line.roomPasswordFile = value; },
  },
];

// rsxcc -h, and the usage line that follows a usage error.
import { options, type Option } from './table.ts';

export const usageLine =
  'usage: rsxcc -j JID [-p PASSWORD | -P FILE] [-f CONFIG] [-x HOST[:PORT]] [-a CAFILE] [-K]\n' +
  '             [-o text|json] [-T SECONDS] [-w MS] [-dv] [-G FILE]\n' +
  '             ((-t JID | -g ROOM/NICK)... [-m MESSAGE] [-k KIND] [-S SUBJECT] | -s\n' +
  '              | -c [-g ROOM/NICK]... | -n | -M DEFAULT\n' +
  '              | -H [-W JID] [-B TIME] [-E TIME] [-N COUNT] [ROOM])\n' +
  '       rsxcc -j JID ... -q [-r SECONDS] -t JID [-m MESSAGE]\n' +
  '       rsxcc -j JID ... -R -A JID... [-C N] [-L SECONDS] -- COMMAND [ARGUMENT...]\n' +
  '       rsxcc -h | -V';

// The text starts in column 17; a longer option (-x HOST[:PORT]) pushes its first line right.
const column = 15;

function optionLines(option: Option): string[] {
  const label = `  -${option.letter}${option.arg ? ` ${option.arg}` : ''}`;
  return option.help.map((text, i) => `${(i === 0 ? label : '').padEnd(column)} ${text}`);
}

export const helpText = `${usageLine}

Send a message, show unread messages, follow incoming messages, read the message
archive or count the offline messages waiting, over XMPP; send a request and wait
for its reply (-q), or answer requests with a command (-R).

${options.flatMap(optionLines).join('\n')}

Exit status: 0 done, 64 usage, 65 bad data or nick taken in a room, 69 unavailable,
recipient error, no such room, no such command (-R) or a feature the server does
not offer (-H, -M: XEP-0313; -n: XEP-0013), 75 time-out or temporary failure (a
message may still be queued; -q: no reply in time to a delivered request), 77
authentication failed or a room refused us. See rsxcc(1).`;

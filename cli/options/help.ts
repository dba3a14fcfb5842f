// rsxcc -h, and the usage line that follows a usage error.
import { options, type Option } from './table.ts';

export const usageLine =
  'usage: rsxcc -j JID [-p PASSWORD | -P FILE] [-f CONFIG] [-x HOST[:PORT]] [-a CAFILE] [-K]\n' +
  '             [-o text|json] [-T SECONDS] [-w MS] [-dv]\n' +
  '             (-t JID... [-m MESSAGE] [-k KIND] [-S SUBJECT] | -s | -c | -n | -M DEFAULT\n' +
  '              | -H [-W JID] [-B TIME] [-E TIME] [-N COUNT] [ROOM])\n' +
  '       rsxcc -h | -V';

// The text starts in column 17; a longer option (-x HOST[:PORT]) pushes its first line right.
const column = 15;

function optionLines(option: Option): string[] {
  const label = `  -${option.letter}${option.arg ? ` ${option.arg}` : ''}`;
  return option.help.map((text, i) => `${(i === 0 ? label : '').padEnd(column)} ${text}`);
}

export const helpText = `${usageLine}

Send a message, show unread messages, follow incoming messages, read the message
archive or count the offline messages waiting, over XMPP.

${options.flatMap(optionLines).join('\n')}

Exit status: 0 done, 64 usage, 65 bad data, 69 unavailable, recipient error or a
feature the server does not offer (-H, -M: XEP-0313; -n: XEP-0013), 75 time-out or
temporary failure, 77 authentication failed. See rsxcc(1).`;

// rsxcc -h, and the usage line that follows a usage error.
import { options, type Option } from './table.ts';

export const usageLine =
  'usage: rsxcc -j JID [-p PASSWORD | -P FILE] [-f CONFIG] [-x HOST[:PORT]] [-a CAFILE] [-K]\n' +
  '             [-o text|json] [-T SECONDS] [-w MS] [-dv] (-t JID... [-m MESSAGE] | -s | -c)\n' +
  '       rsxcc -j JID ... -q [-W SECONDS] -t JID [-m MESSAGE]\n' +
  '       rsxcc -j JID ... -R -A JID... [-C N] [-L SECONDS] -- COMMAND [ARGUMENT...]\n' +
  '       rsxcc -h | -V';

// The text starts in column 17; a longer option (-x HOST[:PORT]) pushes its first line right.
const column = 15;

function optionLines(option: Option): string[] {
  const label = `  -${option.letter}${option.arg ? ` ${option.arg}` : ''}`;
  return option.help.map((text, i) => `${(i === 0 ? label : '').padEnd(column)} ${text}`);
}

export const helpText = `${usageLine}

Send a message, show unread messages, or follow incoming messages over XMPP;
send a request and wait for its reply (-q), or answer requests with a command (-R).

${options.flatMap(optionLines).join('\n')}

Exit status: 0 done, 64 usage, 65 bad data, 69 unavailable, recipient error, or
no such command (-R), 75 time-out or temporary failure, or no reply in time to a
delivered request (-q), 77 authentication failed. See rsxcc(1).`;

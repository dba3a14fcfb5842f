// argv -> CommandLine by the option table, with the POSIX syntax both CLIs share (argv/getopt.ts);
// nothing is read or checked beyond the option letters.
import { getopt, GetoptError } from '../../argv/getopt.ts';
import { UsageError } from '../errors.ts';
import { options, type CommandLine } from './table.ts';

const specs = options.map((option) => ({ short: option.letter, arg: option.arg, option }));

export function parseCommandLine(args: readonly string[]): CommandLine {
  const line: CommandLine = {
    help: false,
    version: false,
    insecure: false,
    debug: false,
    verbose: false,
    recipients: [],
    rooms: [],
    showUnread: false,
    continuous: false,
  };
  let parsed;
  try {
    parsed = getopt(specs, args);
  } catch (error) {
    throw error instanceof GetoptError ? new UsageError(error.message) : error;
  }
  for (const { option, value } of parsed.found) option.option.set(line, value ?? '');
  // The responder's operands are its command; elsewhere they are recipients.
  if (line.respond) line.command = parsed.operands;
  else line.recipients.push(...parsed.operands);
  return line;
}

// argv -> CommandLine, POSIX getopt(3) style (clustered flags, attached arguments, `--`); nothing
// is read or checked beyond the option letters.
import { BasicParser } from 'posix-getopt';
import { UsageError } from '../errors.ts';
import { options, type CommandLine } from './table.ts';

// A leading ':' makes a missing argument come back as ':' rather than as an unknown option.
const optstring = `:${options.map((option) => option.letter + (option.arg ? ':' : '')).join('')}`;
const byLetter = new Map(options.map((option) => [option.letter, option]));

export function parseCommandLine(args: readonly string[]): CommandLine {
  // BasicParser expects process.argv's shape: two leading entries it skips.
  const parser = new BasicParser(optstring, ['node', 'rsxcc', ...args]);
  const line: CommandLine = {
    help: false,
    version: false,
    insecure: false,
    debug: false,
    verbose: false,
    recipients: [],
    showUnread: false,
    continuous: false,
  };
  for (let opt = parser.getopt(); opt !== undefined; opt = parser.getopt()) {
    if (opt.option === ':') throw new UsageError(`option requires an argument -- ${opt.optopt}`);
    const option = byLetter.get(opt.option);
    if (!option) throw new UsageError(`illegal option -- ${opt.optopt}`);
    option.set(line, opt.optarg ?? '');
  }
  line.recipients.push(...args.slice(parser.optind() - 2));
  return line;
}

// The POSIX Utility Argument Syntax of both CLIs (rsxcc, chatlab), over posix-getopt: flags that
// cluster (-dv), an argument attached or not (-ojson, -o json), options before operands (the first
// operand ends them, and so does `--`); and long options, which posix-getopt spells `--name`,
// `--name=VALUE` or `--name VALUE`. posix-getopt ties each long option to a one-character one: an
// option that is long only gets a character from the range it allows for that (U+1000..U+10FF),
// accepted only when it came from its long spelling.
import { BasicParser } from 'posix-getopt';

export interface OptionSpec {
  /** One letter or digit: -x. */
  short?: string;
  /** --name. */
  long?: string;
  /** The argument's name in usage text; an option without one is a flag. */
  arg?: string;
}

/** What a command line got wrong, in getopt(3)'s words; each CLI maps it to its usage status. */
export class GetoptError extends Error {
  override name = 'GetoptError';
}

export interface Parsed<T> {
  /** In command-line order; an option given twice is here twice. */
  found: { option: T; value: string | undefined }[];
  operands: string[];
}

const LONG_ONLY = 0x1000;

export function getopt<T extends OptionSpec>(options: readonly T[], args: readonly string[]): Parsed<T> {
  const byChar = new Map<string, T>();
  // A leading ':' makes a missing argument come back as ':' rather than as an unknown option.
  let optstring = ':';
  options.forEach((option, i) => {
    const char = option.short ?? String.fromCharCode(LONG_ONLY + i);
    byChar.set(char, option);
    optstring += `${char}${option.arg ? ':' : ''}${option.long ? `(${option.long})` : ''}`;
  });
  // BasicParser expects process.argv's shape: two leading entries it skips.
  const parser = new BasicParser(optstring, ['node', 'cli', ...args]);
  const found: Parsed<T>['found'] = [];
  for (;;) {
    const token = args[parser.optind() - 2] ?? '';
    const result = parser.getopt();
    if (result === undefined) break;
    const option = byChar.get(result.option);
    const spelledLong = token.startsWith('--');
    if (result.option === ':') throw new GetoptError(`option requires an argument -- ${nameOf(byChar.get(result.optopt!), result.optopt!, spelledLong)}`);
    if (option === undefined || (option.short === undefined && !spelledLong)) {
      const flag = options.find((o) => o.long === result.optopt && !o.arg);
      throw new GetoptError(flag ? `option takes no argument -- ${flag.long}` : `illegal option -- ${result.optopt ?? result.option}`);
    }
    found.push({ option, value: result.optarg });
  }
  return { found, operands: args.slice(parser.optind() - 2) };
}

function nameOf(option: OptionSpec | undefined, char: string, spelledLong: boolean): string {
  if (option?.long && (spelledLong || option.short === undefined)) return option.long;
  return option?.short ?? char;
}

// A chatlab command's own syntax (its options and operands) and how argv is read by it: the POSIX
// syntax of argv/getopt.ts, then the few checks a table can state (a choice of values, a value's
// form, how many operands), each a one-line usage error.
import { getopt, type OptionSpec } from '../argv/getopt.ts';
import { usageError } from './errors.ts';

export interface Opt extends OptionSpec {
  /** -h and chatlab(1): what it does, one line. */
  help: string;
  /** The value must be one of these (the usage shows them as the argument: sql|mnesia). */
  choices?: readonly string[];
  /** What is wrong with the value ("takes a whole number, not many"), or undefined: checked
   *  before the command does anything. */
  check?: (value: string) => string | undefined;
}

export interface Syntax {
  options: readonly Opt[];
  /** Usage of the operands, e.g. 'HOST [SERVICE]'; '' for none. */
  operands: string;
  /** How many operands, at least and at most. */
  arity: readonly [number, number];
}

/** Every command takes it; it is listed once, in chatlab -h and chatlab(1). */
export const HELP: Opt = { short: 'h', long: 'help', help: 'print the usage and exit' };

export interface Args {
  help: boolean;
  /** By long name (or letter): the last value given, '' for a flag. */
  values: ReadonlyMap<string, string>;
  operands: string[];
}

export const keyOf = (o: Opt) => o.long ?? o.short!;

/** Reads args by a command's syntax; `name` is the command as its errors say it. */
export function parseArgs(name: string, syntax: Syntax, args: readonly string[]): Args {
  const { found, operands } = getopt([...syntax.options, HELP], args);
  const values = new Map<string, string>();
  let help = false;
  for (const { option, value = '' } of found) {
    if (option === HELP) help = true;
    else values.set(keyOf(option), value);
  }
  if (help) return { help, values, operands };
  for (const option of syntax.options) {
    const value = values.get(keyOf(option));
    if (value === undefined || !option.arg) continue;
    const flag = option.long ? `--${option.long}` : `-${option.short}`;
    if (option.choices && !option.choices.includes(value)) throw usageError(`${flag} takes ${option.choices.join(' or ')}, not ${value}`);
    const problem = option.check?.(value);
    if (problem) throw usageError(`${flag} ${problem}`);
  }
  const [min, max] = syntax.arity;
  if (operands.length < min || operands.length > max) {
    throw usageError(syntax.operands ? `${name} takes ${syntax.operands}` : `${name} takes no operands: ${operands.join(' ')}`);
  }
  return { help, values, operands };
}

/** `[--nodes N]`, `[-o text|json]`, `[--wipe]`: an option as a synopsis shows it. */
export function optionUsage(o: Opt): string {
  const flag = o.long ? `--${o.long}` : `-${o.short}`;
  const arg = o.choices ? o.choices.join('|') : o.arg;
  return `[${flag}${arg ? ` ${arg}` : ''}]`;
}

/** The option as its list entry names it: `-o text|json`, `--nodes N`, `-h, --help`. */
export function optionLabel(o: Opt): string {
  const arg = o.choices ? o.choices.join('|') : o.arg;
  const names = [o.short && `-${o.short}`, o.long && `--${o.long}`].filter(Boolean).join(', ');
  return `${names}${arg ? ` ${arg}` : ''}`;
}

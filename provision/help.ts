// `chatlab -h` and `chatlab COMMAND -h`, from the command table; chatlab(1) comes from the same
// table (manual.ts), and a test holds the two to each other.
import { HELP, optionLabel, optionUsage, type Opt } from './args.ts';
import { COMMANDS, GLOBAL_OPTIONS, type Command } from './commands.ts';
import { EXEC_STATUS, EXIT_STATUSES } from './errors.ts';

/** `chatlab [--lab NAME] up [--nodes N] ...`: the command's synopsis, in units a line may not split. */
export function synopsis(command: Command): string[] {
  return ['chatlab', ...(command.lab ? ['[--lab NAME]'] : []), command.name, ...command.options.map(optionUsage), ...(command.operands ? [command.operands] : [])];
}

const WIDTH = 100;

/** Units folded into lines of at most WIDTH, the later ones indented by `indent`. */
export function fold(units: readonly string[], indent: string, first = ''): string[] {
  const lines = [first];
  for (const unit of units) {
    const last = lines[lines.length - 1]!;
    const blank = last === '' || last === indent || last.endsWith(' ');
    if (blank || last.length + 1 + unit.length <= WIDTH) lines[lines.length - 1] = `${last}${blank ? '' : ' '}${unit}`;
    else lines.push(`${indent}${unit}`);
  }
  return lines;
}

/** `  label   text`, the text from `column` on and folded to it (pushed right by a longer label). */
function entry(label: string, text: string, column: number): string[] {
  return fold(text.split(' '), ' '.repeat(column), `${label.padEnd(column - 1)} `);
}

const OPTION_COLUMN = 27;
const optionLines = (options: readonly Opt[]) => options.flatMap((o) => entry(`  ${optionLabel(o)}`, o.help, OPTION_COLUMN));

export function commandHelp(command: Command): string {
  const usage = fold(synopsis(command), '         ', 'usage:');
  return [...usage, '', ...fold(command.summary.split(' '), ''), ...(command.options.length ? ['', ...optionLines(command.options)] : [])].join('\n');
}

const COMMAND_COLUMN = 18;

export function helpText(): string {
  return [
    'usage: chatlab [--lab NAME] COMMAND [OPTION...] [OPERAND...]',
    '       chatlab -h | COMMAND -h',
    '',
    'The XMPP lab of provision/lab.ts as hosts in network namespaces on this machine, and its tools.',
    '',
    'Commands (chatlab COMMAND -h: its options and operands):',
    ...COMMANDS.flatMap((c) => entry(`  ${c.name}`, c.summary, COMMAND_COLUMN)),
    '',
    'Options before the command:',
    ...optionLines([...GLOBAL_OPTIONS, HELP]),
    '',
    'Exit status:',
    ...EXIT_STATUSES.flatMap(([status, meaning]) => entry(`  ${String(status).padStart(3)}`, meaning, 8)),
    ...fold(EXEC_STATUS.split(' '), '        ', '        '),
    '',
    'See chatlab(1).',
  ].join('\n');
}

// Options that only some modes read: given in another mode, they are a mistake worth hearing
// about (64), before a connection or a password prompt. One table for all of them.
import { UsageError } from '../errors.ts';
import type { Mode } from './resolve.ts';
import type { CommandLine } from './table.ts';

/** The option's key, its letter, the modes that read it, and what it needs instead. */
const modeOptions: ReadonlyArray<readonly [keyof CommandLine, string, readonly Mode[], string]> = [
  ['message', '-m', ['send', 'request'], 'a recipient (-t JID or -g ROOM)'],
  ['kind', '-k', ['send'], 'a recipient (-t JID)'],
  ['subject', '-S', ['send'], 'a recipient (-t JID)'],
  ['withJid', '-W', ['history'], '-H'],
  ['start', '-B', ['history'], '-H'],
  ['end', '-E', ['history'], '-H'],
  ['max', '-N', ['history'], '-H'],
  ['replyWait', '-r', ['request'], '-q'],
  ['allow', '-A', ['respond'], '-R'],
  ['concurrency', '-C', ['respond'], '-R'],
  ['timeLimit', '-L', ['respond'], '-R'],
];

export function checkModeOptions(line: CommandLine, mode: Mode): void {
  for (const [key, option, modes, what] of modeOptions) {
    if (line[key] !== undefined && !modes.includes(mode)) throw new UsageError(`${option} needs ${what}`);
  }
}

// rsxcc's options, once: getopt's optstring and what each option sets (getopt.ts), the -h text
// (help.ts) and the OPTIONS section of rsxcc(1) (manual.ts) all come from this table.
import { agentsOptions } from './table-agents.ts';
import { connectionOptions } from './table-connection.ts';
import type { Option } from './option-types.ts';
import { readingOptions } from './table-reading.ts';
import { sendingOptions } from './table-sending.ts';

export type { CommandLine, Option } from './option-types.ts';

/** In the order -h and rsxcc(1) list them. */
export const options: readonly Option[] = [
  ...connectionOptions,
  ...sendingOptions,
  ...readingOptions,
  ...agentsOptions,
  {
    letter: 'h',
    help: ['this help'],
    man: [
      'Usage.',
    ],
    set: (line) => { line.help = true; },
  },
  {
    letter: 'V',
    help: ['version'],
    man: [
      'Version.',
    ],
    set: (line) => { line.version = true; },
  },
];

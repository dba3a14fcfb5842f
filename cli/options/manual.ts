// The OPTIONS section of rsxcc(1), from the option table. A unit test checks that cli/rsxcc.1 holds
// exactly this section; `node --import tsx cli/options/manual.ts` writes it there.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { options, type Option } from './table.ts';

export const manualFile = fileURLToPath(new URL('../rsxcc.1', import.meta.url));

function tag(option: Option): string {
  return option.manTag ?? (option.arg ? String.raw`.BI \-${option.letter} " ${option.arg}"` : String.raw`.B \-${option.letter}`);
}

export function optionsSection(): string {
  const items = options.map((option) => ['.TP', tag(option), ...option.man].join('\n'));
  return ['.SH OPTIONS', ...items, '.TP', String.raw`.B \-\-`, 'Ends the options.', ''].join('\n');
}

/** The page with its OPTIONS section (up to the next .SH) replaced by the generated one. */
export function withOptionsSection(page: string): string {
  const start = page.indexOf('.SH OPTIONS\n');
  const end = page.indexOf('\n.SH ', start + 1);
  if (start < 0 || end < 0) throw new Error(`${manualFile}: no OPTIONS section followed by another section`);
  return page.slice(0, start) + optionsSection() + page.slice(end + 1);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(manualFile, withOptionsSection(readFileSync(manualFile, 'utf8')));
}

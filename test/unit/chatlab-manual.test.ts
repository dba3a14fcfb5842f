// chatlab(1) is the page the tables generate, and it says what -h says: every command's synopsis,
// every option, every exit status; README's list of statuses is the same table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { optionLabel, HELP } from '../../provision/args.ts';
import { COMMANDS, GLOBAL_OPTIONS } from '../../provision/commands.ts';
import { EXEC_STATUS, EXIT_STATUSES } from '../../provision/errors.ts';
import { commandHelp, helpText } from '../../provision/help.ts';
import { currentPage, manualFile } from '../../provision/manual.ts';
import { projectRoot } from '../../provision/paths.ts';

const page = readFileSync(manualFile, 'utf8');
/** The page's text as a terminal shows it, near enough: fonts dropped, escapes undone. */
const plain = (roff: string) => roff.replace(/\\f[BIR]/g, '').replace(/\\-/g, '-').replace(/\\e/g, '\\').replace(/\\&/g, '');
const lines = page.split('\n');
/** The tag line of each .TP item, as text. */
const tags = lines.filter((_, i) => lines[i - 1] === '.TP').map(plain);

test('provision/chatlab.1 is the page the tables generate', () => {
  assert.equal(page, currentPage(), 'regenerate it: node --import tsx provision/manual.ts');
});

test("each command's item in chatlab(1) is its usage line in chatlab COMMAND -h", () => {
  for (const command of COMMANDS) {
    const usage = commandHelp(command).split('\n\n')[0]!.replace(/^usage: /, '').replace(/\n\s+/g, ' ');
    assert.ok(tags.includes(usage), `${command.name}: ${usage}`);
    assert.ok(helpText().includes(`  ${command.name} `), `chatlab -h lists ${command.name}`);
  }
});

test('every option -h lists is an item of the page, with its text', () => {
  const options = [...GLOBAL_OPTIONS, HELP, ...COMMANDS.flatMap((c) => c.options)];
  // Each item as `tag: first line of text`; the page capitalises an option's text.
  const items = new Set(lines.flatMap((l, i) => (lines[i - 1] === '.TP' ? [`${plain(l)}: ${plain(lines[i + 1]!).toLowerCase()}`] : [])));
  for (const option of options) {
    const item = `${optionLabel(option)}: ${option.help.toLowerCase()}.`;
    assert.ok(items.has(item), item);
  }
});

test('every exit status is in -h, in chatlab(1) and in README, with the same meaning', () => {
  const readme = readFileSync(path.join(projectRoot, 'README.md'), 'utf8').split('\n');
  const first = readme.indexOf('| status | meaning |');
  assert.ok(first > 0, "README's table of chatlab's exit statuses");
  const rows = readme.slice(first + 2, first + 3 + EXIT_STATUSES.length);
  assert.deepEqual(rows, [...EXIT_STATUSES.map(([status, meaning]) => `| ${status} | ${meaning} |`), `| any | ${EXEC_STATUS} |`]);
  const section = plain(page.slice(page.indexOf('.SH EXIT STATUS'), page.indexOf('.SH ENVIRONMENT')));
  for (const [status, meaning] of EXIT_STATUSES) {
    assert.ok(section.includes(`.TP\n${status}\n${meaning}.\n`), `chatlab(1): ${status}`);
    assert.match(helpText(), new RegExp(`^ +${status} +${meaning.split(' ')[0]}`, 'm'), `-h: ${status}`);
  }
  assert.ok(section.includes(`${EXEC_STATUS}.`) && helpText().includes(EXEC_STATUS.split(' ').slice(0, 4).join(' ')));
});

test('package.json installs both manual pages, and they exist', () => {
  const pkg = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { man: string[] };
  assert.deepEqual(pkg.man, ['./cli/rsxcc.1', './provision/chatlab.1']);
  for (const file of pkg.man) assert.match(readFileSync(path.join(projectRoot, file), 'utf8'), /^\.TH [A-Z]+ 1 /);
});

// rsxcc's one option table: getopt accepts exactly its letters, -h lists each of them in its
// order, and rsxcc(1)'s OPTIONS section is the one generated from it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { UsageError } from '../../cli/errors.ts';
import { parseCommandLine } from '../../cli/options/getopt.ts';
import { helpText } from '../../cli/options/help.ts';
import { manualFile, optionsSection, withOptionsSection } from '../../cli/options/manual.ts';
import { options } from '../../cli/options/table.ts';

const empty = parseCommandLine([]);

test('every option of the table parses: a flag alone, an option with its argument', () => {
  for (const option of options) {
    const args = option.arg ? [`-${option.letter}`, 'VALUE'] : [`-${option.letter}`];
    const line = parseCommandLine(args);
    assert.notDeepEqual(line, empty, `-${option.letter} changed nothing`);
    if (option.arg) assert.ok(JSON.stringify(line).includes('"VALUE"'), `-${option.letter} lost its argument`);
    if (option.arg) assert.throws(() => parseCommandLine([`-${option.letter}`]), /^UsageError: option requires an argument/);
  }
  const unknown = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'.split('').filter((c) => !options.some((o) => o.letter === c));
  for (const letter of unknown) assert.throws(() => parseCommandLine([`-${letter}`]), (e: Error) => e instanceof UsageError && e.message === `illegal option -- ${letter}`);
});

test('-h lists every option in table order, its text from column 17 (pushed right only by a longer option)', () => {
  const lines = helpText.split('\n').filter((line) => /^ {2}-\w/.test(line));
  assert.deepEqual(lines.map((line) => line.slice(3, 4)), options.map((o) => o.letter));
  for (const [i, option] of options.entries()) {
    const label = `  -${option.letter}${option.arg ? ` ${option.arg}` : ''}`;
    assert.ok(lines[i]!.startsWith(`${label} `), lines[i]);
    assert.equal(lines[i]!.indexOf(option.help[0]!), Math.max(16, label.length + 1), lines[i]);
  }
  assert.match(helpText, /^ {16}starts: prefer XMPP_PASSWORD/m, 'a continuation line is indented to the text column');
});

test('rsxcc(1) holds exactly the OPTIONS section the table generates', () => {
  const page = readFileSync(manualFile, 'utf8');
  assert.ok(page.includes(optionsSection()), 'regenerate it: node --import tsx cli/options/manual.ts');
  assert.equal(withOptionsSection(page), page);
  const tags = optionsSection().split('\n').filter((line, i, all) => all[i - 1] === '.TP');
  assert.equal(tags.length, options.length + 1, 'one item per option, and -- at the end');
  assert.equal(tags[0], String.raw`.BI \-j " JID"`);
  assert.equal(tags.at(-1), String.raw`.B \-\-`);
});

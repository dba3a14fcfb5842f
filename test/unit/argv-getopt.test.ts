// The argument syntax both CLIs share (argv/getopt.ts): POSIX getopt(3) for short options, and
// long options, long-only ones included, in posix-getopt's spellings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getopt, GetoptError, type OptionSpec } from '../../argv/getopt.ts';

const options: OptionSpec[] = [{ short: 'v' }, { short: 'o', long: 'output', arg: 'FORMAT' }, { long: 'nodes', arg: 'N' }, { long: 'wipe' }];
const parse = (...args: string[]) => {
  const { found, operands } = getopt(options, args);
  return { found: found.map(({ option, value }) => `${option.long ?? option.short}=${value ?? ''}`), operands };
};
const fails = (args: string[], message: string) =>
  assert.throws(() => getopt(options, args), (e: Error) => e instanceof GetoptError && e.message === message, args.join(' '));

test('short options: clustered, an argument attached or separate', () => {
  assert.deepEqual(parse('-vojson', 'x'), { found: ['v=', 'output=json'], operands: ['x'] });
  assert.deepEqual(parse('-v', '-o', 'json'), { found: ['v=', 'output=json'], operands: [] });
});

test('long options: --name VALUE, --name=VALUE, an empty value, a flag', () => {
  assert.deepEqual(parse('--nodes', '3', '--nodes=4', '--output=', '--wipe'), { found: ['nodes=3', 'nodes=4', 'output=', 'wipe='], operands: [] });
});

test('the options end at the first operand, or at --, which is dropped; a second -- is an operand', () => {
  assert.deepEqual(parse('-v', 'host', '--wipe'), { found: ['v='], operands: ['host', '--wipe'] });
  assert.deepEqual(parse('--', '-v', '--', 'x'), { found: [], operands: ['-v', '--', 'x'] });
  assert.deepEqual(parse('-', '-v'), { found: [], operands: ['-', '-v'] });
});

test("errors in getopt(3)'s words, naming the option as it was spelled", () => {
  fails(['-q'], 'illegal option -- q');
  fails(['--nodez', '3'], 'illegal option -- nodez');
  fails(['-o'], 'option requires an argument -- o');
  fails(['--output'], 'option requires an argument -- output');
  fails(['-v', '--nodes'], 'option requires an argument -- nodes');
  fails(['--wipe=yes'], 'option takes no argument -- wipe');
});

test('a long-only option answers only to its long name, not to the character it is tied to', () => {
  for (let code = 0x1000; code < 0x1004; code++) {
    assert.throws(() => getopt(options, [`-${String.fromCharCode(code)}`, '3']), GetoptError);
  }
});

// chatlab's command line: every command of the table is reachable and parses its own options,
// today's spellings keep working, and bad input is one line on stderr with status 64.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keyOf } from '../../provision/args.ts';
import { chatlab, HANDLERS, readCommandLine } from '../../provision/chatlab.ts';
import { COMMANDS } from '../../provision/commands.ts';
import { EX } from '../../provision/errors.ts';

/** The command line as chatlab reads it: command name, lab, values, operands. */
function read(...argv: string[]) {
  const line = readCommandLine(argv);
  if ('help' in line) return { help: line.help };
  return { name: line.command.name, lab: line.lab, values: Object.fromEntries(line.args.values), operands: line.args.operands };
}

/** Runs chatlab with its own words caught. Only for command lines that fail or ask for help:
 *  nothing here may reach a handler. */
async function caught(...argv: string[]) {
  const out = { stdout: '', stderr: '' };
  const io = { stdout: { write: (t: string) => (out.stdout += t) }, stderr: { write: (t: string) => (out.stderr += t) } };
  return { status: await chatlab(argv, io), ...out };
}

test('every command of the table has a handler, and every handler a command', () => {
  assert.deepEqual(Object.keys(HANDLERS).sort(), COMMANDS.map((c) => c.name).sort());
});

test('each command is found by its words and parses each of its options', () => {
  for (const command of COMMANDS) {
    const operands = command.name === 'exec' ? ['h', '--', 'c'] : command.name === 'packages' ? ['lab'] : Array(command.arity[0]).fill('x');
    for (const option of command.options) {
      const value = option.choices?.[0] ?? (option.check ? '1' : 'VALUE');
      const flag = option.long ? `--${option.long}` : `-${option.short}`;
      const line = read(...command.name.split(' '), ...(option.arg ? [flag, value] : [flag]), ...operands);
      assert.equal(line.name, command.name);
      assert.deepEqual(line.values, { [keyOf(option)]: option.arg ? value : '' }, `${command.name} ${flag}`);
      assert.deepEqual(line.operands, operands);
    }
  }
});

test("today's command lines read as they did", () => {
  assert.deepEqual(read('--lab', 'trio', 'up', '--nodes', '3', '--subnet', '192.168.72.0/21', '--storage', 'mnesia'), {
    name: 'up', lab: 'trio', values: { nodes: '3', subnet: '192.168.72.0/21', storage: 'mnesia' }, operands: [],
  });
  assert.deepEqual(read('status', '-o', 'json').values, { o: 'json' });
  assert.deepEqual(read('status', '-ojson').values, { o: 'json' });
  assert.deepEqual(read('down', '--wipe').values, { wipe: '' });
  assert.deepEqual(read('generate', '--check').values, { check: '' });
  assert.deepEqual(read('exec', 'client', '--', 'dig', '+short', '-t', 'SRV', 'x').operands, ['client', '--', 'dig', '+short', '-t', 'SRV', 'x']);
  assert.deepEqual(read('kill', 'prosody', 'mariadb').operands, ['prosody', 'mariadb']);
  assert.deepEqual(read('packages', '--check', 'vm-stage'), { name: 'packages', lab: undefined, values: { check: '' }, operands: ['vm-stage'] });
  assert.deepEqual(read('box', '--cache-dir', '/c', '--force'), { name: 'box build', lab: undefined, values: { 'cache-dir': '/c', force: '' }, operands: [] });
  assert.deepEqual(read('box', 'add', '--force').name, 'box add');
  assert.deepEqual(read('box', 'host', 'up', '--state-dir=/s'), { name: 'box host up', lab: undefined, values: { 'state-dir': '/s' }, operands: [] });
  assert.deepEqual(read('--lab', 'load', 'load', '--server', 'prosody', '--users', '2100', '--kill', 'ejabberd2@70').values, { server: 'prosody', users: '2100', kill: 'ejabberd2@70' });
});

test('-h anywhere before the operands is the help: the whole list, one command, or a group', () => {
  assert.match(read('-h').help!, /^usage: chatlab \[--lab NAME\] COMMAND/);
  assert.match(read('--lab', 'x', 'up', '-h').help!, /^usage: chatlab \[--lab NAME\] up \[--nodes N\] \[--subnet CIDR\] \[--storage sql\|mnesia\]\n/);
  assert.deepEqual(read('box', '--help').help!.split('\n').filter((l) => l.startsWith('usage:')).length, 5);
  assert.deepEqual(read('exec', 'client', '--', 'ls', '-h').operands, ['client', '--', 'ls', '-h'], "the command's own -h is the command's");
});

test('bad input: status 64 and one line on stderr naming the problem and where the usage is', async () => {
  const cases: [string[], string][] = [
    [[], 'no command given (usage: chatlab -h)'],
    [['frobnicate'], 'unknown command: frobnicate (usage: chatlab -h)'],
    [['box', 'host'], 'unknown command: box host; the box commands: box build, box add, box hash, box host up, box host down (usage: chatlab -h)'],
    [['--lab'], 'option requires an argument -- lab (usage: chatlab -h)'],
    [['--lab', '', 'up'], '--lab takes a lab name (usage: chatlab -h)'],
    [['up', '--nodes', 'many'], '--nodes takes a whole number, not many (usage: chatlab up -h)'],
    [['up', '--storage', 'redis'], '--storage takes sql or mnesia, not redis (usage: chatlab up -h)'],
    [['status', '-x'], 'illegal option -- x (usage: chatlab status -h)'],
    [['down', '--wipe=all'], 'option takes no argument -- wipe (usage: chatlab down -h)'],
    [['kill'], 'kill takes HOST [SERVICE] (usage: chatlab kill -h)'],
    [['cut', 'a', 'b'], 'cut takes HOST (usage: chatlab cut -h)'],
    [['exec', 'client', 'ls'], 'exec takes HOST -- CMD [ARG...] (usage: chatlab exec -h)'],
    [['packages', 'nope'], 'packages takes one step: lab, test, bench, box, vm-stage (usage: chatlab packages -h)'],
    [['--lab', 'x', 'generate'], 'generate takes no --lab: it works on the default lab or on this machine (usage: chatlab generate -h)'],
    [['box', 'build', 'now'], 'box build takes no operands: now (usage: chatlab box build -h)'],
  ];
  for (const [argv, message] of cases) {
    const r = await caught(...argv);
    assert.deepEqual([r.status, r.stderr, r.stdout], [EX.usage, `chatlab: ${message}\n`, ''], argv.join(' '));
  }
});

test('help goes to stdout with status 0', async () => {
  const r = await caught('status', '--help');
  assert.deepEqual([r.status, r.stderr], [EX.ok, '']);
  assert.match(r.stdout, /^usage: chatlab \[--lab NAME\] status \[-o text\|json\]\n\n/);
});

// `chatlab ARGS` -> exit status: the options before the command, the command the table names, its
// own arguments, then its handler. Every failure ends here, as one status (errors.ts) and a message.
import { lab as spec } from './lab.ts';
import { defineLab } from './validate.ts';
import { generateAll } from './generate/index.ts';
import { findDrift, writeFiles } from './write.ts';
import { ensureSecrets } from './secrets.ts';
import { projectRoot, stateDir } from './paths.ts';
import { EX, LabError, describeError, exitStatusOf, usageError } from './errors.ts';
import { parseArgs, type Args } from './args.ts';
import { COMMANDS, GLOBAL_OPTIONS, findCommand, type Command, type CommandName } from './commands.ts';
import { commandHelp, helpText } from './help.ts';
import { cable, down, execIn, kill, labContext, recover, start, up, type LabContext } from './lab/runner.ts';
import { materialize, resolveInstance, type Overrides } from './instance.ts';
import { formatStatus, labStatus } from './lab/status.ts';
import { MACHINE_STEPS, installList } from './host-commands.ts';
import { requireCommands } from './preflight.ts';
import { loadOptions } from './load/options.ts';
import type { EjabberdStorage } from './model.ts';

/** A command's work, given its parsed arguments and the lab --lab names; resolves to the exit status. */
type Handler = (args: Args, lab: string | undefined) => Promise<number>;

const log = (line: string) => process.stderr.write(`chatlab: ${line}\n`);

async function context(lab: string | undefined, overrides: Overrides = {}): Promise<LabContext> {
  const instance = await resolveInstance(lab, overrides);
  return labContext(instance.lab, instance.assetsRoot, instance.state, log);
}

const onHost = (action: (ctx: LabContext, host: string) => Promise<unknown>): Handler => async (args, lab) => {
  await action(await context(lab), args.operands[0]!);
  return EX.ok;
};

// The box builder and the load generator are large, and only their own commands need them.
const box = () => import('./box/main.ts');

export const HANDLERS: Record<CommandName, Handler> = {
  async generate(args) {
    const files = generateAll(defineLab(spec));
    if (args.values.has('check')) {
      const drift = await findDrift(projectRoot, files);
      for (const d of drift) process.stderr.write(`stale: ${d.path} (${d.problem})\n`);
      if (drift.length) process.stderr.write('generated files are stale: run `chatlab generate` and commit the result\n');
      return drift.length ? EX.found : EX.ok;
    }
    const changed = await writeFiles(projectRoot, files);
    for (const d of changed) process.stderr.write(`${d.problem === 'not generated' ? 'removed' : 'wrote'} ${d.path}\n`);
    process.stderr.write(`${files.length} files generated, ${changed.length} changed\n`);
    return EX.ok;
  },
  async secrets() {
    const made = await ensureSecrets(defineLab(spec), stateDir());
    process.stderr.write(made.length ? `made ${made.join(', ')}\n` : 'secrets: all present\n');
    return EX.ok;
  },
  async packages(args) {
    const step = MACHINE_STEPS.find((s) => s === args.operands[0]);
    if (step === undefined) throw usageError(`packages takes one step: ${MACHINE_STEPS.join(', ')}`);
    if (args.values.has('check')) requireCommands(step === 'vm-stage' ? ['box', step] : [step]);
    else process.stdout.write(`${installList(step).join('\n')}\n`);
    return EX.ok;
  },
  async up(args, lab) {
    const nodes = args.values.get('nodes');
    const storage = args.values.get('storage') as EjabberdStorage | undefined;
    const ctx = await context(lab, { nodes: nodes === undefined ? undefined : Number(nodes), subnet: args.values.get('subnet'), storage });
    await materialize({ lab: ctx.lab, assetsRoot: ctx.assetsRoot, state: ctx.state });
    await up(ctx);
    return EX.ok;
  },
  async down(args, lab) {
    await down(await context(lab), args.values.has('wipe'));
    return EX.ok;
  },
  async status(args, lab) {
    const status = await labStatus(await context(lab));
    process.stdout.write(args.values.get('o') === 'json' ? `${JSON.stringify(status)}\n` : `${formatStatus(status)}\n`);
    return status.up ? EX.ok : EX.down;
  },
  async recover(_args, lab) {
    const restarted = await recover(await context(lab));
    log(restarted.length ? `restarted ${restarted.join(', ')}: one cluster again` : 'cluster consistent: nothing to do');
    return EX.ok;
  },
  async exec(args, lab) {
    const [host, dash, ...command] = args.operands;
    if (dash !== '--') throw usageError('exec takes HOST -- CMD [ARG...]');
    return execIn(await context(lab), host!, command);
  },
  async kill(args, lab) {
    await kill(await context(lab), args.operands[0]!, args.operands[1]);
    return EX.ok;
  },
  start: onHost(start),
  cut: onHost((ctx, host) => cable(ctx, host, false)),
  heal: onHost((ctx, host) => cable(ctx, host, true)),
  async load(args, lab) {
    const ctx = await context(lab);
    const options = loadOptions(args, ctx.lab.spec.name);
    const { loadCommand } = await import('./load/run.ts');
    return loadCommand(options, ctx);
  },
  'box build': async (args) => (await box()).boxBuild(args, false),
  'box add': async (args) => (await box()).boxBuild(args, true),
  'box hash': async () => (await box()).boxHash(),
  'box host up': async (args) => (await box()).boxHost(args, true),
  'box host down': async (args) => (await box()).boxHost(args, false),
};

function unknownCommand(words: readonly string[]): LabError {
  if (!words.length) return usageError('no command given');
  const group = COMMANDS.filter((c) => c.name.startsWith(`${words[0]} `)).map((c) => c.name);
  return usageError(`unknown command: ${words.join(' ')}${group.length ? `; the ${words[0]} commands: ${group.join(', ')}` : ''}`);
}

function requireRoot(command: Command): void {
  if (process.getuid?.() !== 0) throw new LabError(`${command.name} needs root: it changes this machine's namespaces, mounts or daemons`, EX.noPerm);
}

/** What a command line asks for: a help text to print, or a command to run. */
export type CommandLine = { help: string } | { command: Command; args: Args; lab: string | undefined };

/** Reads argv by the table; `found` learns the command as soon as it is known (for the usage hint). */
export function readCommandLine(argv: readonly string[], found: (command: Command) => void = () => {}): CommandLine {
  const global = parseArgs('chatlab', { options: GLOBAL_OPTIONS, operands: 'COMMAND', arity: [0, Infinity] }, argv);
  if (global.help) return { help: helpText() };
  const named = findCommand(global.operands);
  if (!named) throw unknownCommand(global.operands);
  const { command, rest, group } = named;
  found(command);
  const args = parseArgs(command.name, command, rest);
  // `chatlab box -h`: every command of the group, not only the one `box` alone means.
  if (args.help) return { help: (group ? COMMANDS.filter((c) => c.name.startsWith(`${group} `)) : [command]).map(commandHelp).join('\n\n') };
  const lab = global.values.get('lab');
  if (lab !== undefined && !command.lab) throw usageError(`${command.name} takes no --lab: it works on the default lab or on this machine`);
  return { command, args, lab };
}

/** Where chatlab's own words go (the help, the failure); the commands write to the process's. */
export interface Io {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

async function dispatch(argv: readonly string[], io: Io, found: (command: Command) => void): Promise<number> {
  const line = readCommandLine(argv, found);
  if ('help' in line) {
    io.stdout.write(`${line.help}\n`);
    return EX.ok;
  }
  if (line.command.root) requireRoot(line.command);
  return HANDLERS[line.command.name](line.args, line.lab);
}

/** The whole of chatlab but the process: its exit status, its messages on stderr, one line for bad input. */
export async function chatlab(argv: readonly string[], io: Io = process): Promise<number> {
  let hint = 'chatlab -h';
  try {
    return await dispatch(argv, io, (command) => (hint = `chatlab ${command.name} -h`));
  } catch (error) {
    const status = exitStatusOf(error);
    io.stderr.write(`chatlab: ${describeError(error)}${status === EX.usage ? ` (usage: ${hint})` : ''}\n`);
    return status;
  }
}

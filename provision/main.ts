// `chatlab`: parse, run one command, map the outcome to an exit code. Nothing else lives here.
import { parseArgs } from 'node:util';
import { lab as spec } from './lab.ts';
import { defineLab, ModelError } from './validate.ts';
import { generateAll } from './generate/index.ts';
import { findDrift, writeFiles } from './write.ts';
import { ensureSecrets } from './secrets.ts';
import { projectRoot, stateDir } from './paths.ts';
import { EX, LabError, usageError } from './errors.ts';
import { cable, down, execIn, kill, labContext, recover, start, up, type LabContext } from './lab/runner.ts';
import { materialize, resolveInstance, type Overrides } from './instance.ts';
import { formatStatus, labStatus } from './lab/status.ts';
import { MACHINE_STEPS, installList } from './host-commands.ts';
import { requireCommands } from './preflight.ts';

const USAGE = `usage: chatlab generate [--check]
       chatlab secrets
       chatlab [--lab NAME] up [--nodes N] [--subnet CIDR] [--storage sql|mnesia]
       chatlab [--lab NAME] down [--wipe] | status [-o json] | recover
       chatlab [--lab NAME] exec HOST -- CMD [ARG...]
       chatlab [--lab NAME] kill HOST [SERVICE] | start|cut|heal HOST
       chatlab [--lab NAME] load [--server ejabberd|prosody] [--users N] [--rate N] [--duration S] ...   (chatlab load -h)
       chatlab box [build|add|hash|host up|host down] ...   (the libvirt Vagrant box; chatlab box -h)
       chatlab packages [--check] STEP   (STEP: ${MACHINE_STEPS.join(', ')}) the Debian packages a step installs / check its commands`;

type Command = (args: string[]) => Promise<number>;

const log = (line: string) => process.stderr.write(`chatlab: ${line}\n`);
/** Set from the global --lab option: which lab the command means. */
let labName: string | undefined;

async function context(overrides: Overrides = {}): Promise<LabContext> {
  const instance = await resolveInstance(labName, overrides);
  return labContext(instance.lab, instance.assetsRoot, instance.state, log);
}

function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new LabError('the namespace lab needs root (network namespaces, bind mounts)', EX.noPerm);
}

/** For the commands that take exactly one lab host name. */
function oneHost(args: string[], verb: string): string {
  const { positionals } = parseArgs({ args, options: {}, allowPositionals: true });
  if (positionals.length !== 1) throw usageError(`${verb} takes one host name`);
  return positionals[0]!;
}

const hostCommand = (verb: string, action: (ctx: LabContext, host: string) => Promise<unknown>): Command =>
  async (args) => {
    const host = oneHost(args, verb);
    requireRoot();
    await action(await context(), host);
    return 0;
  };

const commands: Record<string, Command> = {
  async generate(args) {
    const { values } = parseArgs({ args, options: { check: { type: 'boolean' } } });
    const files = generateAll(defineLab(spec));
    if (values.check) {
      const drift = await findDrift(projectRoot, files);
      for (const d of drift) process.stderr.write(`stale: ${d.path} (${d.problem})\n`);
      if (drift.length) process.stderr.write('generated files are stale: run `chatlab generate` and commit the result\n');
      return drift.length ? 1 : 0;
    }
    const changed = await writeFiles(projectRoot, files);
    for (const d of changed) process.stderr.write(`${d.problem === 'not generated' ? 'removed' : 'wrote'} ${d.path}\n`);
    process.stderr.write(`${files.length} files generated, ${changed.length} changed\n`);
    return 0;
  },
  async secrets(args) {
    parseArgs({ args, options: {} });
    const made = await ensureSecrets(defineLab(spec), stateDir());
    process.stderr.write(made.length ? `made ${made.join(', ')}\n` : 'secrets: all present\n');
    return 0;
  },
  async up(args) {
    const { values } = parseArgs({ args, options: { nodes: { type: 'string' }, subnet: { type: 'string' }, storage: { type: 'string' } } });
    const nodes = values.nodes === undefined ? undefined : Number(values.nodes);
    if (nodes !== undefined && !Number.isInteger(nodes)) throw usageError(`--nodes takes a whole number, not ${values.nodes}`);
    const { storage } = values;
    if (storage !== undefined && storage !== 'sql' && storage !== 'mnesia') throw usageError(`--storage takes sql or mnesia, not ${storage}`);
    requireRoot();
    const ctx = await context({ nodes, subnet: values.subnet, storage });
    await materialize({ lab: ctx.lab, assetsRoot: ctx.assetsRoot, state: ctx.state });
    await up(ctx);
    return 0;
  },
  async down(args) {
    const { values } = parseArgs({ args, options: { wipe: { type: 'boolean' } } });
    requireRoot();
    await down(await context(), values.wipe ?? false);
    return 0;
  },
  async status(args) {
    const { values } = parseArgs({ args, options: { o: { type: 'string', short: 'o' } } });
    if (values.o !== undefined && values.o !== 'json' && values.o !== 'text') throw usageError(`-o takes text or json, not ${values.o}`);
    requireRoot();
    const status = await labStatus(await context());
    process.stdout.write(values.o === 'json' ? `${JSON.stringify(status)}\n` : `${formatStatus(status)}\n`);
    return status.up ? 0 : 3;
  },
  async exec(args) {
    const dash = args.indexOf('--');
    if (dash !== 1) throw usageError('usage: chatlab exec HOST -- CMD [ARG...]');
    requireRoot();
    return execIn(await context(), args[0]!, args.slice(2));
  },
  async kill(args) {
    const { positionals } = parseArgs({ args, options: {}, allowPositionals: true });
    if (positionals.length < 1 || positionals.length > 2) throw usageError('kill takes a host name and, optionally, one of its services');
    requireRoot();
    await kill(await context(), positionals[0]!, positionals[1]);
    return 0;
  },
  start: hostCommand('start', start),
  cut: hostCommand('cut', (ctx, host) => cable(ctx, host, false)),
  heal: hostCommand('heal', (ctx, host) => cable(ctx, host, true)),
  async box(args) {
    // Loaded only here: the box builder is large and no other command needs it.
    const { runBox } = await import('./box/main.ts');
    return runBox(args);
  },
  async load(args) {
    // Loaded only here, like the box builder: only this command needs the load generator.
    const { loadCommand } = await import('./load/run.ts');
    requireRoot();
    return loadCommand(args, await context());
  },
  async packages(args) {
    const { values, positionals } = parseArgs({ args, options: { check: { type: 'boolean' } }, allowPositionals: true });
    const step = MACHINE_STEPS.find((s) => s === positionals[0]);
    if (positionals.length !== 1 || step === undefined) throw usageError(`packages takes one step: ${MACHINE_STEPS.join(', ')}`);
    if (values.check) requireCommands(step === 'vm-stage' ? ['box', step] : [step]);
    else process.stdout.write(`${installList(step).join('\n')}\n`);
    return 0;
  },
  async recover(args) {
    parseArgs({ args, options: {} });
    requireRoot();
    const restarted = await recover(await context());
    log(restarted.length ? `restarted ${restarted.join(', ')}: one cluster again` : 'cluster consistent: nothing to do');
    return 0;
  },
};

async function main(argv: string[]): Promise<number> {
  if (argv[0] === '--lab') {
    if (!argv[1]) throw usageError('--lab takes a lab name');
    labName = argv[1];
    argv = argv.slice(2);
  }
  const [name, ...args] = argv;
  if (name === '-h' || name === '--help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const command = name ? commands[name] : undefined;
  if (!command) throw usageError(name ? `unknown command: ${name}` : 'no command given');
  return command(args);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof ModelError) {
      process.stderr.write(`chatlab: ${error.message}\n`);
      process.exitCode = EX.data;
    } else if (error instanceof LabError) {
      process.stderr.write(`chatlab: ${error.message}\n${error.exitCode === EX.usage ? `${USAGE}\n` : ''}`);
      process.exitCode = error.exitCode;
    } else if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`chatlab: ${error.message}\n${USAGE}\n`);
      process.exitCode = EX.usage;
    } else {
      process.stderr.write(`chatlab: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = EX.software;
    }
  },
);

// `chatlab`: parse, run one command, map the outcome to an exit code. Nothing else lives here.
import { parseArgs } from 'node:util';
import { lab as spec } from './lab.ts';
import { defineLab, ModelError } from './validate.ts';
import { generateAll } from './generate/index.ts';
import { findDrift, writeFiles } from './write.ts';
import { ensureSecrets } from './secrets.ts';
import { projectRoot, stateDir } from './paths.ts';
import { EX, LabError, usageError } from './errors.ts';

const USAGE = `usage: chatlab generate [--check]
       chatlab secrets
       chatlab up | down [--wipe] | status [-o json]
       chatlab exec HOST -- CMD [ARG...]
       chatlab kill|start|cut|heal HOST
       chatlab recover`;

type Command = (args: string[]) => Promise<number>;

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
};

async function main(argv: string[]): Promise<number> {
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

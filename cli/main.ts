// rsxcc entry point: parse, run one mode, map the outcome to an exit status. Heavy modules are
// imported only once they are needed, so that `-h` or a usage error answers at once and a send
// spends its time on the network rather than on loading code.
import { exitCodeOf, oneLine, UsageError } from './errors.ts';
import type { Options } from './options/resolve.ts';

const modes = {
  send: () => import('./modes/send.ts'),
  unread: () => import('./modes/unread.ts'),
  listen: () => import('./modes/listen.ts'),
  history: () => import('./modes/history.ts'),
  peek: () => import('./modes/peek.ts'),
  archiving: () => import('./modes/archiving.ts'),
  request: () => import('./modes/request.ts'),
  respond: () => import('./modes/respond.ts'),
};

// V8 for a client that spends its life waiting on the network, set once a session is up: no
// optimising compiler past Sparkplug (TurboFan's code, paged in from the node binary, and its
// compilations were ~8 MB of a drain's peak RSS, for no gain: the per-message work is regular
// expressions, JSON.stringify and Node's streams, native code either way) and a young generation
// that does not grow (to 16 MB a semi-space under a drain's garbage: ~4 MB more); and the
// bytecode of what ran only to start and log in (options, TLS set-up, SASL) dropped at the first
// full collection that finds it unused, not the fifth, which an idle client may never see: a
// function run again is compiled again, in microseconds. Not on the command line (the bundle's
// first line): there any V8 flag makes Node reject the code cache of its own modules, 10-12 ms of
// every start. The flags are read as V8 goes, so setting them now holds from now on (README,
// "rsxcc"; bench/drain-profile.ts measures it).
let tuned: Promise<void> | undefined;
async function tunedForWaiting<T>(session: T): Promise<T> {
  tuned ??= import('node:v8').then(({ setFlagsFromString }) => {
    setFlagsFromString('--max-opt=1');
    setFlagsFromString('--semi-space-growth-factor=1');
    setFlagsFromString('--bytecode-old-age=1');
  });
  await tuned;
  return session;
}

async function run(options: Options): Promise<void> {
  const [{ openSession }, { diagnostics }, { fullJid }, mode] = await Promise.all([
    import('../xmpp/session.ts'),
    import('./debug.ts'),
    import('../xmpp/jid.ts'),
    modes[options.mode](),
  ]);
  const diag = diagnostics(options, process.stderr);
  diag.progress(`password from ${options.passwordSource}`);
  const connection = {
    jid: fullJid(options.jid),
    password: options.password,
    server: options.server,
    caFile: options.caFile,
    extraCaFile: options.extraCaFile,
    insecure: options.insecure,
    onWarning: (text: string) => process.stderr.write(`rsxcc: warning: ${text}\n`),
    timeoutMs: options.timeoutMs,
    onProgress: diag.progress,
    onTrace: diag.trace,
  };
  await mode.run((hooks) => openSession({ ...connection, ...hooks }).then(tunedForWaiting), options, diag);
}

async function main(args: string[]): Promise<number> {
  try {
    const [{ parseOptions }, { systemSources }, { helpText, usageLine }] = await Promise.all([
      import('./options/resolve.ts'),
      import('./options/sources.ts'),
      import('./options/help.ts'),
    ]);
    let command;
    try {
      command = await parseOptions(args, await systemSources());
    } catch (error) {
      if (error instanceof UsageError) process.stderr.write(`rsxcc: ${oneLine(error)}\n${usageLine}\n`);
      else process.stderr.write(`rsxcc: ${oneLine(error)}\n`);
      return exitCodeOf(error);
    }
    if (command.kind === 'help') {
      process.stdout.write(`${helpText}\n`);
      return 0;
    }
    if (command.kind === 'version') {
      const { default: pkg } = await import('../package.json', { with: { type: 'json' } });
      process.stdout.write(`rsxcc ${pkg.version}\n`);
      return 0;
    }
    const { options } = command;
    // Linux shows process.title instead of argv in ps once it is set: the password disappears
    // from the process list (it was visible while node started, which the help says).
    if (options.passwordOnCommandLine) process.title = 'rsxcc';
    if (options.insecure) {
      process.stderr.write('rsxcc: WARNING: -K: the server certificate is NOT verified; anyone on the path can impersonate the server and read the password\n');
    }
    await run(options);
    return 0;
  } catch (error) {
    process.stderr.write(`rsxcc: ${oneLine(error)}\n`);
    return exitCodeOf(error);
  }
}

// No top-level await: the bundle is CommonJS (build.mjs).
void main(process.argv.slice(2)).then((code) => process.exit(code));

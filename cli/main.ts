// rsxcc entry point: parse, run one mode, map the outcome to an exit status. Heavy modules are
// imported only once they are needed, so that `-h` or a usage error answers at once and a send
// spends its time on the network rather than on loading code.
import { DataError, exitCodeOf, oneLine, UsageError } from './errors.ts';
import type { Options } from './options.ts';
import type { Session } from './session.ts';

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('rsxcc: type the message, end it with Ctrl-D\n');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // Fatal decoding: invalid UTF-8 is the caller's mistake to hear about, not something to send
  // on as U+FFFD replacement characters.
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new DataError('standard input is not valid UTF-8');
  }
}

/** Closes cleanly after success; after a failure drops the connection so the exit is not delayed further. */
async function settle(session: Session, work: Promise<void>): Promise<void> {
  try {
    await work;
  } catch (error) {
    session.abort();
    throw error;
  }
  await session.close();
}

async function run(options: Options): Promise<void> {
  const [{ openSession }, { diagnostics }, { formatters, writeOut }, { bareJid, fullJid }] = await Promise.all([
    import('./session.ts'),
    import('./debug.ts'),
    import('./output.ts'),
    import('./jid.ts'),
  ]);
  const diag = diagnostics(options, process.stderr);
  diag.progress(`password from ${options.passwordSource}`);
  const sessionOptions = {
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

  if (options.mode === 'send') {
    const { bodyFromInput, checkBody, DeliveryReport, sendMessages } = await import('./send.ts');
    const body = checkBody(options.message ?? bodyFromInput(await readStdin()));
    const report = new DeliveryReport();
    const session = await openSession({ ...sessionOptions, onStanza: report.onStanza });
    await settle(session, sendMessages(session, report, options.recipients.map(fullJid), body, diag.progress));
    return;
  }

  const { Inbox, catchUp } = await import('./unread.ts');
  const format = formatters[options.output];
  const inbox = new Inbox((message) => writeOut(process.stdout, format(message)));
  const catchUpOptions = { quietMs: options.quietMs, timeoutMs: options.timeoutMs, progress: diag.progress };
  // Messages are acknowledged as soon as they are printed: a run killed mid-way leaves only the
  // unprinted ones (and at most one batch in flight) for the next run, not the whole backlog again.
  const receiving = { ...sessionOptions, acknowledgeEach: true, onStanza: inbox.onStanza };

  if (options.mode === 'unread') {
    const session = await openSession(receiving);
    await settle(session, catchUp(session, inbox, { ...catchUpOptions, stayAvailable: false }));
    return;
  }

  const { listen } = await import('./listen.ts');
  const stop = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      diag.progress(`${signal}: closing`);
      stop.abort();
      // A second signal means "now": the server keeps whatever was not acknowledged.
      process.once(signal, () => process.exit(0));
    });
  }
  await listen(() => openSession(receiving), inbox, {
    ...catchUpOptions,
    keepaliveMs: 30_000,
    signal: stop.signal,
    notice: (text) => process.stderr.write(`rsxcc: ${bareJid(options.jid)}: ${text}\n`),
  });
}

async function main(args: string[]): Promise<number> {
  try {
    const { parseOptions, systemSources, helpText, usageLine } = await import('./options.ts');
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

process.exit(await main(process.argv.slice(2)));

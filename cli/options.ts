// Command line, config file, environment and password prompt merged into one typed Options.
// Everything that reads the outside world comes in through OptionSources, so every error path
// can be exercised by unit tests without files, a terminal or an environment.
import { BasicParser } from 'posix-getopt';
import { DataError, UsageError } from './errors.ts';
import { bareJid, parseJid, type Jid } from './jid.ts';

export type Mode = 'send' | 'unread' | 'listen';
export type OutputFormat = 'text' | 'json';

export interface ServerAddress {
  host: string;
  port: number;
}

export interface Options {
  mode: Mode;
  jid: Jid;
  password: string;
  /** Where the password came from: shown by -v, never the password itself. */
  passwordSource: string;
  /** True when -p put the password on the command line: main.ts then hides it from ps. */
  passwordOnCommandLine: boolean;
  server?: ServerAddress;
  caFile?: string;
  /**
   * NODE_EXTRA_CA_CERTS, handed over by the launcher under another name: Node parses that file at
   * start-up, before any of rsxcc's code (88 ms for Debian's bundle of 140 on the lab machine, half
   * of a whole send), though only a connection verified against the system's CAs needs it. The
   * bundle's first line (build.mjs) moves it to RSXCC_EXTRA_CA_CERTS; the session reads it lazily.
   */
  extraCaFile?: string;
  insecure: boolean;
  output: OutputFormat;
  debug: boolean;
  verbose: boolean;
  recipients: Jid[];
  /** Undefined in send mode means: read the body from standard input. */
  message?: string;
  timeoutMs: number;
  quietMs: number;
}

export type Command = { kind: 'help' } | { kind: 'version' } | { kind: 'run'; options: Options };

export interface OptionSources {
  env: Readonly<Record<string, string | undefined>>;
  /** Reads a whole file as UTF-8; throws (any error) when it cannot. */
  readFile(path: string): string;
  /** Reads a password from the terminal without echo; undefined when there is no terminal. */
  promptPassword?: (prompt: string) => Promise<string>;
}

export const usageLine =
  'usage: rsxcc -j JID [-p PASSWORD | -P FILE] [-f CONFIG] [-x HOST[:PORT]] [-a CAFILE] [-K]\n' +
  '             [-o text|json] [-T SECONDS] [-w MS] [-dv] (-t JID... [-m MESSAGE] | -s | -c)\n' +
  '       rsxcc -h | -V';

export const helpText = `${usageLine}

Send a message, show unread messages, or follow incoming messages over XMPP.

  -j JID        account to log in as (or "account" in the config file)
  -p PASSWORD   password; other users can read it in the process list while rsxcc
                starts: prefer XMPP_PASSWORD, -P FILE, the config file or the prompt
  -P FILE       read the password from the first line of FILE
  -f CONFIG     config file (default: $XDG_CONFIG_HOME/rsxcc/config or ~/.config/rsxcc/config)
  -x HOST[:PORT] server to connect to (default: SRV _xmpp-client._tcp of the JID's domain)
  -a CAFILE     trust the certificate authorities in CAFILE (PEM) instead of the system's
  -K            DO NOT verify the server's certificate (insecure; warns on every run)
  -o FORMAT     output: text (default) or json (one JSON object a line)
  -T SECONDS    bound on every wait: connect, TLS, login, confirmation (default 10)
  -w MS         also wait until no message came for MS after the server's end-of-unread
                marker, for a server that does not order its marker (default 0)
  -d            protocol debug: XML both ways on stderr, credentials redacted
  -v            progress on stderr
  -t JID        send to JID; repeat for several recipients (operands are recipients too)
  -m MESSAGE    message body; without -m the body is read from standard input
  -s            show unread messages and exit
  -c            continuous: show unread, then every message as it arrives, until SIGINT/SIGTERM
  -h            this help
  -V            version

Exit status: 0 done, 64 usage, 65 bad data, 69 unavailable or recipient error,
75 time-out or temporary failure, 77 authentication failed. See rsxcc(1).`;

const optstring = ':j:p:P:f:x:a:Ko:T:w:dvt:m:schV';

/** What the command line alone says, before the config file and the environment are consulted. */
export interface CommandLine {
  help: boolean;
  version: boolean;
  jid?: string;
  password?: string;
  passwordFile?: string;
  configFile?: string;
  server?: string;
  caFile?: string;
  insecure: boolean;
  output?: string;
  timeout?: string;
  quiet?: string;
  debug: boolean;
  verbose: boolean;
  recipients: string[];
  message?: string;
  showUnread: boolean;
  continuous: boolean;
}

export function parseCommandLine(args: readonly string[]): CommandLine {
  // BasicParser expects process.argv's shape: two leading entries it skips.
  const parser = new BasicParser(optstring, ['node', 'rsxcc', ...args]);
  const line: CommandLine = {
    help: false,
    version: false,
    insecure: false,
    debug: false,
    verbose: false,
    recipients: [],
    showUnread: false,
    continuous: false,
  };
  for (let opt = parser.getopt(); opt !== undefined; opt = parser.getopt()) {
    const arg = opt.optarg ?? '';
    switch (opt.option) {
      case 'j': line.jid = arg; break;
      case 'p': line.password = arg; break;
      case 'P': line.passwordFile = arg; break;
      case 'f': line.configFile = arg; break;
      case 'x': line.server = arg; break;
      case 'a': line.caFile = arg; break;
      case 'K': line.insecure = true; break;
      case 'o': line.output = arg; break;
      case 'T': line.timeout = arg; break;
      case 'w': line.quiet = arg; break;
      case 'd': line.debug = true; break;
      case 'v': line.verbose = true; break;
      case 't': line.recipients.push(arg); break;
      case 'm': line.message = arg; break;
      case 's': line.showUnread = true; break;
      case 'c': line.continuous = true; break;
      case 'h': line.help = true; break;
      case 'V': line.version = true; break;
      case ':': throw new UsageError(`option requires an argument -- ${opt.optopt}`);
      default: throw new UsageError(`illegal option -- ${opt.optopt}`);
    }
  }
  line.recipients.push(...args.slice(parser.optind() - 2));
  return line;
}

/** One section of the config file: `[defaults]` or `[JID]`. */
export type ConfigSection = Partial<Record<ConfigKey, string>>;
const configKeys = ['account', 'password', 'password-file', 'server', 'cafile', 'output', 'timeout', 'quiet'] as const;
type ConfigKey = (typeof configKeys)[number];

/** `key = value` lines under `[section]` headers; `#` and `;` start comments. */
export function parseConfig(text: string, file: string): Map<string, ConfigSection> {
  const sections = new Map<string, ConfigSection>();
  let current: ConfigSection | undefined;
  text.split(/\r?\n/).forEach((raw, index) => {
    const where = `${file}:${index + 1}`;
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      const name = header[1]!.trim();
      const key = name === 'defaults' ? name : bareJid(parseJid(name, `account in ${where}`));
      current = sections.get(key) ?? {};
      sections.set(key, current);
      return;
    }
    const pair = /^([\w-]+)\s*=\s*(.*)$/.exec(line);
    if (!pair) throw new UsageError(`${where}: expected "key = value" or "[section]"`);
    const key = pair[1]!;
    if (!(configKeys as readonly string[]).includes(key)) throw new UsageError(`${where}: unknown key "${key}"`);
    if (!current) throw new UsageError(`${where}: "${key}" outside a [section]`);
    current[key as ConfigKey] = pair[2]!;
  });
  return sections;
}

export function parseServer(text: string): ServerAddress {
  // [v6]:port, [v6], host:port, host. A bare IPv6 address without brackets has several colons.
  const match = /^\[([^\]]+)\](?::(\d+))?$/.exec(text) ?? /^([^:[\]]+)(?::(\d+))?$/.exec(text);
  const host = match?.[1];
  const port = match?.[2] === undefined ? 5222 : Number(match[2]);
  if (!host || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(`bad server ${JSON.stringify(text)}: expected HOST[:PORT] or [IPv6][:PORT]`);
  }
  return { host, port };
}

function parseNumber(text: string, what: string, min: number, max: number): number {
  const value = /^\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!(value >= min && value <= max)) throw new UsageError(`bad ${what} ${JSON.stringify(text)}: expected ${min} to ${max}`);
  return value;
}

function parseOutput(text: string): OutputFormat {
  if (text === 'text' || text === 'json') return text;
  throw new UsageError(`bad output format ${JSON.stringify(text)}: expected text or json`);
}

function firstLine(text: string): string {
  return text.split(/\r?\n/, 1)[0] ?? '';
}

function defaultConfigPath(env: OptionSources['env']): string | undefined {
  if (env.XDG_CONFIG_HOME) return `${env.XDG_CONFIG_HOME}/rsxcc/config`;
  return env.HOME ? `${env.HOME}/.config/rsxcc/config` : undefined;
}

function loadConfig(line: CommandLine, sources: OptionSources): Map<string, ConfigSection> {
  const explicit = line.configFile;
  const file = explicit ?? defaultConfigPath(sources.env);
  if (file === undefined) return new Map();
  let text: string;
  try {
    text = sources.readFile(file);
  } catch (error) {
    // The default file is optional; one named with -f must exist.
    if (explicit === undefined) return new Map();
    throw new UsageError(`cannot read config file ${file}: ${(error as Error).message}`);
  }
  return parseConfig(text, file);
}

function readPasswordFile(file: string, sources: OptionSources): string {
  let text: string;
  try {
    text = sources.readFile(file);
  } catch (error) {
    throw new UsageError(`cannot read password file ${file}: ${(error as Error).message}`);
  }
  const password = firstLine(text);
  if (password === '') throw new UsageError(`password file ${file} is empty`);
  return password;
}

async function findPassword(
  line: CommandLine,
  account: ConfigSection,
  jid: string,
  sources: OptionSources,
): Promise<{ password: string; source: string }> {
  // Most explicit first: the command line, then the environment, then the config file, then a person.
  if (line.password !== undefined) return { password: line.password, source: '-p' };
  if (line.passwordFile !== undefined) return { password: readPasswordFile(line.passwordFile, sources), source: `-P ${line.passwordFile}` };
  const fromEnv = sources.env.XMPP_PASSWORD;
  if (fromEnv) return { password: fromEnv, source: 'XMPP_PASSWORD' };
  if (account['password-file'] !== undefined) {
    return { password: readPasswordFile(account['password-file'], sources), source: `config password-file ${account['password-file']}` };
  }
  if (account.password) return { password: account.password, source: 'config password' };
  if (sources.promptPassword) {
    const password = await sources.promptPassword(`Password for ${jid}: `);
    if (password !== '') return { password, source: 'prompt' };
  }
  throw new UsageError(`no password for ${jid}: use XMPP_PASSWORD, -P FILE, the config file or a terminal`);
}

function chooseMode(line: CommandLine): Mode {
  const chosen = [line.recipients.length > 0 && '-t', line.showUnread && '-s', line.continuous && '-c'].filter(Boolean);
  if (chosen.length === 0) throw new UsageError('nothing to do: give -t JID, -s or -c');
  if (chosen.length > 1) throw new UsageError(`${chosen.join(' and ')} cannot be combined`);
  if (line.message !== undefined && !line.recipients.length) throw new UsageError('-m needs a recipient (-t JID)');
  return line.recipients.length ? 'send' : line.showUnread ? 'unread' : 'listen';
}

export async function resolveOptions(line: CommandLine, sources: OptionSources): Promise<Options> {
  const mode = chooseMode(line);
  const config = loadConfig(line, sources);
  const defaults = config.get('defaults') ?? {};
  const jidText = line.jid ?? defaults.account;
  if (jidText === undefined) throw new UsageError('no account: give -j JID');
  const jid = parseJid(jidText, 'account JID');
  if (!jid.local) throw new DataError(`invalid account JID ${JSON.stringify(jidText)}: no local part (user@domain)`);
  const account = config.get(bareJid(jid)) ?? {};
  const setting = (key: ConfigKey): string | undefined => account[key] ?? defaults[key];

  const recipients = line.recipients.map((text) => parseJid(text, 'recipient JID'));
  const serverText = line.server ?? setting('server');
  const timeoutText = line.timeout ?? setting('timeout');
  const quietText = line.quiet ?? setting('quiet');
  const { password, source } = await findPassword(line, account, bareJid(jid), sources);
  return {
    mode,
    jid,
    password,
    passwordSource: source,
    passwordOnCommandLine: line.password !== undefined,
    server: serverText === undefined ? undefined : parseServer(serverText),
    caFile: line.caFile ?? setting('cafile'),
    extraCaFile: sources.env.RSXCC_EXTRA_CA_CERTS || undefined,
    insecure: line.insecure,
    output: parseOutput(line.output ?? setting('output') ?? 'text'),
    debug: line.debug,
    verbose: line.verbose,
    recipients,
    message: line.message,
    timeoutMs: Math.round(1000 * (timeoutText === undefined ? 10 : parseNumber(timeoutText, 'time-out (seconds)', 0.1, 3600))),
    quietMs: quietText === undefined ? 0 : parseNumber(quietText, 'quiet window (ms)', 0, 10_000),
  };
}

export async function parseOptions(args: readonly string[], sources: OptionSources): Promise<Command> {
  const line = parseCommandLine(args);
  if (line.help) return { kind: 'help' };
  if (line.version) return { kind: 'version' };
  return { kind: 'run', options: await resolveOptions(line, sources) };
}

/** Reads a line from the terminal with echo off; Ctrl-C or Ctrl-D give up (empty password). */
async function promptWithoutEcho(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  try {
    return await new Promise<string>((resolve) => {
      let typed = '';
      stdin.on('data', function onData(chunk: Buffer) {
        for (const char of chunk.toString('utf8')) {
          if (char === '\r' || char === '\n' || char === '\u0003' || char === '\u0004') {
            stdin.off('data', onData);
            resolve(char === '\u0003' || char === '\u0004' ? '' : typed);
            return;
          }
          typed = char === '\u007f' || char === '\b' ? typed.slice(0, -1) : typed + char;
        }
      });
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write('\n');
  }
}

export async function systemSources(): Promise<OptionSources> {
  const { readFileSync } = await import('node:fs');
  return {
    env: process.env,
    readFile: (path) => readFileSync(path, 'utf8'),
    promptPassword: process.stdin.isTTY ? promptWithoutEcho : undefined,
  };
}

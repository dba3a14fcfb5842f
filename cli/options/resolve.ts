// The command line, the config file, the environment and a password source merged into one typed
// Options; every value checked here, before a connection is made.
import type { ServerAddress } from '../../xmpp/connect.ts';
import { DataError } from '../../xmpp/errors.ts';
import { bareJid, parseJid, type Jid } from '../../xmpp/jid.ts';
import { UsageError } from '../errors.ts';
import { loadConfig, type ConfigKey } from './config-file.ts';
import { exchangeSettings, type ResponderSettings } from './exchange.ts';
import { parseCommandLine } from './getopt.ts';
import { parseNumber } from './number.ts';
import { findPassword } from './password.ts';
import type { OptionSources } from './sources.ts';
import type { CommandLine } from './table.ts';

export type Mode = 'send' | 'unread' | 'listen' | 'request' | 'respond';
export type OutputFormat = 'text' | 'json';

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
   * NODE_EXTRA_CA_CERTS, handed over by the launcher under another name: Node would parse that file
   * at start-up, before any of rsxcc's code, though only a connection verified against the system's
   * CAs needs it. The bundle's first line (build.mjs) moves it to RSXCC_EXTRA_CA_CERTS; the session
   * reads it when it connects.
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
  /** -q: how long to wait for the reply once the server has confirmed the request. */
  replyWaitMs: number;
  /** -R: the command and who may run it. */
  responder?: ResponderSettings;
}

export type Command = { kind: 'help' } | { kind: 'version' } | { kind: 'run'; options: Options };

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

function parseOutput(text: string): OutputFormat {
  if (text === 'text' || text === 'json') return text;
  throw new UsageError(`bad output format ${JSON.stringify(text)}: expected text or json`);
}

function chooseMode(line: CommandLine): Mode {
  const chosen = [line.recipients.length > 0 && !line.request && '-t', line.request && '-q', line.showUnread && '-s', line.continuous && '-c', line.respond && '-R'].filter(Boolean);
  if (chosen.length === 0) throw new UsageError('nothing to do: give -t JID, -q, -s, -c or -R');
  if (chosen.length > 1) throw new UsageError(`${chosen.join(' and ')} cannot be combined`);
  if (line.message !== undefined && !line.recipients.length) throw new UsageError('-m needs a recipient (-t JID)');
  if (line.request) return 'request';
  if (line.respond) return 'respond';
  return line.recipients.length ? 'send' : line.showUnread ? 'unread' : 'listen';
}

export async function resolveOptions(line: CommandLine, sources: OptionSources): Promise<Options> {
  const mode = chooseMode(line);
  const config = loadConfig(line.configFile, sources);
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
  const timeoutMs = Math.round(1000 * (timeoutText === undefined ? 10 : parseNumber(timeoutText, 'time-out (seconds)', 0.1, 3600)));
  const exchange = exchangeSettings(line, mode, setting, timeoutMs);
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
    timeoutMs,
    quietMs: quietText === undefined ? 0 : parseNumber(quietText, 'quiet window (ms)', 0, 10_000),
    ...exchange,
  };
}

export async function parseOptions(args: readonly string[], sources: OptionSources): Promise<Command> {
  const line = parseCommandLine(args);
  if (line.help) return { kind: 'help' };
  if (line.version) return { kind: 'version' };
  return { kind: 'run', options: await resolveOptions(line, sources) };
}

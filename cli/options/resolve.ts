// The command line, the config file, the environment and a password source merged into one typed
// Options; every value checked here, before a connection is made.
import type { ServerAddress } from '../../xmpp/connect.ts';
import { DataError } from '../../xmpp/errors.ts';
import { bareJid, parseJid, type Jid } from '../../xmpp/jid.ts';
import { UsageError } from '../errors.ts';
import { resolveArchiveOptions, type ArchiveOptions } from './archive.ts';
import { checkModeOptions } from './mode-options.ts';
import { loadConfig, type ConfigKey } from './config-file.ts';
import { exchangeSettings, type ResponderSettings } from './exchange.ts';
import { parseCommandLine } from './getopt.ts';
import { parseNumber } from './number.ts';
import { findPassword } from './password.ts';
import { resolveRooms, type RoomTarget } from './rooms.ts';
import type { OptionSources } from './sources.ts';
import type { CommandLine } from './table.ts';

export type Mode = 'send' | 'unread' | 'listen' | 'history' | 'peek' | 'archiving' | 'request' | 'respond';
export type OutputFormat = 'text' | 'json';

export interface Options extends ArchiveOptions {
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
  /** -g: rooms to send to, or with -c to follow. */
  rooms: RoomTarget[];
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
  // With -H, recipients name the archive to read (cli/options/archive.ts), with -q the one to ask;
  // -g sends, except with -c, which follows the rooms.
  const sending = (line.recipients.length > 0 && !line.history && !line.request) || (line.rooms.length > 0 && !line.continuous);
  const given: Array<[unknown, string, Mode]> = [
    [sending, line.recipients.length > 0 ? '-t' : '-g', 'send'],
    [line.request, '-q', 'request'],
    [line.showUnread, '-s', 'unread'],
    [line.continuous, '-c', 'listen'],
    [line.respond, '-R', 'respond'],
    [line.history, '-H', 'history'],
    [line.peek, '-n', 'peek'],
    [line.archiveDefault !== undefined, '-M', 'archiving'],
  ];
  const chosen = given.filter(([set]) => set);
  if (chosen.length === 0) throw new UsageError('nothing to do: give -t JID, -g ROOM, -q, -s, -c, -R, -H, -n or -M');
  if (chosen.length > 1) throw new UsageError(`${chosen.map(([, option]) => option).join(' and ')} cannot be combined`);
  return chosen[0]![2];
}

export async function resolveOptions(line: CommandLine, sources: OptionSources): Promise<Options> {
  const mode = chooseMode(line);
  checkModeOptions(line, mode);
  const config = loadConfig(line.configFile, sources);
  const defaults = config.get('defaults') ?? {};
  const jidText = line.jid ?? defaults.account;
  if (jidText === undefined) throw new UsageError('no account: give -j JID');
  const jid = parseJid(jidText, 'account JID');
  if (!jid.local) throw new DataError(`invalid account JID ${JSON.stringify(jidText)}: no local part (user@domain)`);
  const account = config.get(bareJid(jid)) ?? {};
  const setting = (key: ConfigKey): string | undefined => account[key] ?? defaults[key];

  const recipients = mode === 'send' || mode === 'request' ? line.recipients.map((text) => parseJid(text, 'recipient JID')) : [];
  const serverText = line.server ?? setting('server');
  const timeoutText = line.timeout ?? setting('timeout');
  const quietText = line.quiet ?? setting('quiet');
  // Checked before the password is looked for: a bad value must not cost a prompt first.
  const archive = resolveArchiveOptions(line, mode, setting);
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
    rooms: resolveRooms(line, config, setting('nick'), sources),
    message: line.message,
    timeoutMs,
    quietMs: quietText === undefined ? 0 : parseNumber(quietText, 'quiet window (ms)', 0, 10_000),
    ...archive,
    ...exchange,
  };
}

export async function parseOptions(args: readonly string[], sources: OptionSources): Promise<Command> {
  const line = parseCommandLine(args);
  if (line.help) return { kind: 'help' };
  if (line.version) return { kind: 'version' };
  return { kind: 'run', options: await resolveOptions(line, sources) };
}

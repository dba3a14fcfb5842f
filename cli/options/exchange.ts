// The settings of request and reply (-q -r) and of the responder (-R -A -C -L), from the command
// line and the config file; each checked here, before a password is asked for or anything connects.
import { bareJid, parseJid } from '../../xmpp/jid.ts';
import { UsageError } from '../errors.ts';
import type { ConfigKey } from './config-file.ts';
import { parseCount, parseNumber } from './number.ts';
import type { Mode } from './resolve.ts';
import type { CommandLine } from './table.ts';

export interface ResponderSettings {
  /** The command's argv, run without a shell. */
  command: string[];
  /** Bare JIDs, in lower case as servers stamp them, whose requests run the command. */
  allow: ReadonlySet<string>;
  concurrency: number;
  timeLimitMs: number;
}

export interface ExchangeSettings {
  replyWaitMs: number;
  responder?: ResponderSettings;
}

const seconds = (text: string, what: string) => Math.round(1000 * parseNumber(text, what, 0.1, 86_400));

export function exchangeSettings(line: CommandLine, mode: Mode, setting: (key: ConfigKey) => string | undefined, timeoutMs: number): ExchangeSettings {
  if (mode === 'request' && line.recipients.length !== 1) {
    throw new UsageError(`-q sends one request: give exactly one recipient (-t JID), not ${line.recipients.length}`);
  }
  const waitText = line.replyWait ?? setting('reply-wait');
  const replyWaitMs = waitText === undefined ? timeoutMs : seconds(waitText, 'reply wait (seconds)');
  return mode === 'respond' ? { replyWaitMs, responder: responderSettings(line, setting) } : { replyWaitMs };
}

function responderSettings(line: CommandLine, setting: (key: ConfigKey) => string | undefined): ResponderSettings {
  const command = line.command ?? [];
  if (!command[0]) throw new UsageError('-R needs a command: rsxcc ... -R -A JID -- COMMAND [ARGUMENT...]');
  const allowed = line.allow ?? setting('allow')?.split(/[\s,]+/).filter(Boolean) ?? [];
  // Without a list the responder would run a command for anyone who can send it a message.
  if (allowed.length === 0) throw new UsageError('-R runs the command only for senders named with -A JID (or "allow" in the config file): none given');
  const concurrency = line.concurrency ?? setting('concurrency');
  const timeLimit = line.timeLimit ?? setting('time-limit');
  return {
    command,
    allow: new Set(allowed.map(allowedJid)),
    concurrency: concurrency === undefined ? 1 : parseCount(concurrency, 'concurrency', 1, 64),
    timeLimitMs: timeLimit === undefined ? 60_000 : seconds(timeLimit, 'time limit (seconds)'),
  };
}

function allowedJid(text: string): string {
  const jid = parseJid(text, 'allowed JID');
  if (!jid.local || jid.resource) throw new UsageError(`an allowed sender is a bare JID (user@domain), not ${JSON.stringify(text)}`);
  return bareJid({ ...jid, local: jid.local.toLowerCase() });
}

// The options of issue 14 beyond the original modes: a send's message kind and subject (-k, -S),
// the history query (-H with -W, -B, -E, -N) and the archiving default (-M). Each is checked here,
// before a connection is made; resolve.ts merges the result into Options.
import { DataError } from '../../xmpp/errors.ts';
import { parseJid, type Jid } from '../../xmpp/jid.ts';
import { UsageError } from '../errors.ts';
import type { ConfigKey } from './config-file.ts';
import type { Mode } from './resolve.ts';
import type { CommandLine } from './table.ts';

export const messageKinds = ['chat', 'normal', 'headline'] as const;
export type MessageKind = (typeof messageKinds)[number];
export const archiveDefaults = ['always', 'never', 'roster'] as const;
export type ArchiveDefault = (typeof archiveDefaults)[number];

export interface HistoryFilter {
  /** A room's bare JID: its archive is read instead of the account's own. */
  room?: Jid;
  with?: Jid;
  start?: Date;
  end?: Date;
  /** At most this many messages, the oldest that match. */
  max?: number;
}

export interface ArchiveOptions {
  kind: MessageKind;
  subject?: string;
  history: HistoryFilter;
  /** -M: the archiving default to set. */
  archiveDefault?: ArchiveDefault;
}

const maxCount = 1_000_000_000;

function oneOf<T extends string>(text: string, allowed: readonly T[], what: string): T {
  if ((allowed as readonly string[]).includes(text)) return text as T;
  throw new UsageError(`bad ${what} ${JSON.stringify(text)}: expected ${allowed.slice(0, -1).join(', ')} or ${allowed.at(-1)}`);
}

// YYYY-MM-DD, or with a time of day and a zone (Z or an offset); a space may replace the T, as in
// the text output. A time without a zone would mean whatever the server's clock zone is: refused.
const isoTime = /^(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d)(\.\d{1,9})?)?(Z|[+-]\d\d:\d\d))?$/;

/** An ISO 8601 time as the -B and -E options take it; a UsageError (64) for anything else. */
export function parseTime(text: string, option: string): Date {
  const bad = () => new UsageError(`bad time ${JSON.stringify(text)} for ${option}: expected ISO 8601, 2026-12-01 or 2026-12-01T08:00[:00]Z (or +01:00 for Z)`);
  const match = isoTime.exec(text);
  if (!match) throw bad();
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((field) => Number(field ?? 0)) as [number, number, number, number, number, number];
  const millis = Math.floor(Number(`0${match[7] ?? ''}`) * 1000);
  const local = new Date(Date.UTC(year, month - 1, day, hour, minute, second, millis));
  // Date.UTC rolls over (February 30 becomes March 2, hour 24 the next day): such a time does not exist.
  const fields = [local.getUTCFullYear(), local.getUTCMonth() + 1, local.getUTCDate(), local.getUTCHours(), local.getUTCMinutes(), local.getUTCSeconds()];
  if (fields.some((field, i) => field !== [year, month, day, hour, minute, second][i])) throw bad();
  const zone = match[8] ?? 'Z';
  const [offsetHours, offsetMinutes] = zone === 'Z' ? [0, 0] : zone.slice(1).split(':').map(Number) as [number, number];
  if (offsetHours > 23 || offsetMinutes > 59) throw bad();
  const offset = (zone.startsWith('-') ? -1 : 1) * (offsetHours * 60 + offsetMinutes);
  return new Date(local.getTime() - offset * 60_000);
}

function parseCount(text: string, what: string): number {
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= 1 && value <= maxCount)) throw new UsageError(`bad ${what} ${JSON.stringify(text)}: expected a whole number from 1 to ${maxCount}`);
  return value;
}

function historyFilter(line: CommandLine, setting: (key: ConfigKey) => string | undefined): HistoryFilter {
  if (line.recipients.length > 1) throw new UsageError('-H reads one archive: give at most one room JID');
  const room = line.recipients[0] === undefined ? undefined : parseJid(line.recipients[0], 'room JID');
  if (room?.resource) throw new DataError(`invalid room JID ${JSON.stringify(line.recipients[0])}: a room's archive has a bare JID`);
  const start = line.start === undefined ? undefined : parseTime(line.start, '-B');
  const end = line.end === undefined ? undefined : parseTime(line.end, '-E');
  if (start && end && start > end) throw new UsageError(`-B ${line.start} is after -E ${line.end}: nothing can match`);
  const maxText = line.max ?? setting('history-max');
  return {
    room,
    with: line.withJid === undefined ? undefined : parseJid(line.withJid, 'JID for -W'),
    start,
    end,
    max: maxText === undefined ? undefined : parseCount(maxText, 'count'),
  };
}

export function resolveArchiveOptions(line: CommandLine, mode: Mode, setting: (key: ConfigKey) => string | undefined): ArchiveOptions {
  return {
    kind: oneOf(line.kind ?? setting('kind') ?? 'chat', messageKinds, 'message kind'),
    subject: line.subject,
    history: mode === 'history' ? historyFilter(line, setting) : {},
    archiveDefault: line.archiveDefault === undefined ? undefined : oneOf(line.archiveDefault, archiveDefaults, 'archiving default'),
  };
}

// History mode (-H): the account's message archive, or a room's, oldest first, each message printed
// as its page arrives (xmpp/mam.ts asks for the next page only once this one is printed, so memory
// stays flat however long the archive). No presence is sent, so offline messages stay stored, and
// the archive is only read.
import { bareJid, fullJid, parseJid } from '../../xmpp/jid.ts';
import { ArchiveReader, requireArchive, type ArchivedMessage } from '../../xmpp/mam.ts';
import type { OpenSession, Session } from '../../xmpp/session.ts';
import { isoUtc } from '../../xmpp/utc.ts';
import type { Diagnostics } from '../debug.ts';
import type { HistoryFilter } from '../options/archive.ts';
import type { OutputFormat, Options } from '../options/resolve.ts';
import { formatText, readMessage, writeOut, type ReceivedMessage } from '../output.ts';
import { settle } from './settle.ts';

/** A printed archive entry: the message, stamped when the archive stored it, and the archive's id for it. */
export interface ArchiveEntry {
  archiveId: string;
  message: ReceivedMessage;
}

/** The entry for an archived message, or undefined for one with no body (a chat state, a receipt). */
export function readEntry(item: ArchivedMessage, arrivalMs: number): ArchiveEntry | undefined {
  const message = readMessage(item.message, arrivalMs);
  if (!message) return undefined;
  return { archiveId: item.id, message: { ...message, stamp: item.stamp ? isoUtc(item.stamp.getTime()) : message.stamp } };
}

// Text shows both ends: the account's own archive holds what it sent as well as what it received.
const formats: Record<OutputFormat, (entry: ArchiveEntry) => string> = {
  // A room's archive names no recipient: the room is in the sender's JID.
  text: ({ archiveId, message }) => formatText(message, `#${archiveId} ${message.from}${message.to ? ` -> ${message.to}` : ''}`),
  json: ({ archiveId, message: { from, to, type, id, subject, body, stamp } }) =>
    `${JSON.stringify({ archiveId, from, to, type, id, subject, body, stamp })}\n`,
};

/** Writes each archived message to `stream` in `format`; resolves once the kernel has the line. */
export function archivePrinter(stream: NodeJS.WritableStream, format: OutputFormat): (item: ArchivedMessage) => Promise<void> {
  return async (item) => {
    const entry = readEntry(item, Date.now());
    if (entry) await writeOut(stream, formats[format](entry));
  };
}

/** Checks that the archive exists (69 if not), then reads it through `reader` to the end. */
export async function readHistory(session: Session, reader: ArchiveReader, filter: HistoryFilter, progress: (text: string) => void): Promise<void> {
  const room = filter.room && bareJid(filter.room);
  const archive = room ?? bareJid(parseJid(session.jid));
  await requireArchive(session, archive);
  progress(`reading the archive of ${archive}`);
  await reader.read(session, { room, with: filter.with && fullJid(filter.with), start: filter.start, end: filter.end, max: filter.max });
  progress(`${reader.handled} archived message(s) read`);
}

export async function run(open: OpenSession, options: Options, diag: Diagnostics): Promise<void> {
  const reader = new ArchiveReader(archivePrinter(process.stdout, options.output));
  const session = await open({ onStanza: reader.onStanza });
  await settle(session, readHistory(session, reader, options.history, diag.progress));
}

// Archiving mode (-M): sets the account's XEP-0313 archiving default and prints the default the
// server then applies, which is the answer, not what was asked for. No presence is sent.
import { bareJid, parseJid } from '../../xmpp/jid.ts';
import { requireArchive, setArchiveDefault } from '../../xmpp/mam.ts';
import type { OpenSession, Session } from '../../xmpp/session.ts';
import type { Diagnostics } from '../debug.ts';
import type { ArchiveDefault } from '../options/archive.ts';
import type { OutputFormat, Options } from '../options/resolve.ts';
import { writeOut } from '../output.ts';
import { settle } from './settle.ts';

/** Sets the default on the account's own archive (69 where there is none); returns what applies now. */
export async function archiveDefault(session: Session, value: ArchiveDefault): Promise<string> {
  await requireArchive(session, bareJid(parseJid(session.jid)));
  return setArchiveDefault(session, value);
}

/** Text: the default alone (`always`); JSON: `{"default":"always"}`. */
export const formatDefault = (applied: string, format: OutputFormat) => (format === 'json' ? `${JSON.stringify({ default: applied })}\n` : `${applied}\n`);

export async function run(open: OpenSession, options: Options, diag: Diagnostics): Promise<void> {
  const session = await open({});
  const setting = archiveDefault(session, options.archiveDefault!).then(async (applied) => {
    diag.progress(`archiving default is now ${applied}`);
    await writeOut(process.stdout, formatDefault(applied, options.output));
  });
  await settle(session, setting);
}

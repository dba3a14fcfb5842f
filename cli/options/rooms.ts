// -g ROOM@SERVICE/NICK and the room password, checked and found before a connection is made. A
// room password never comes from argv, where other users could read it: -G names a file, else
// XMPP_ROOM_PASSWORD, else the room's own section of the config file.
import { DataError } from '../../xmpp/errors.ts';
import { bareJid, parseJid } from '../../xmpp/jid.ts';
import { UsageError } from '../errors.ts';
import type { ConfigSection } from './config-file.ts';
import { configPassword, readPasswordFile, type Password } from './password.ts';
import type { OptionSources } from './sources.ts';
import type { CommandLine } from './table.ts';

export interface RoomTarget {
  /** The room's bare JID. */
  room: string;
  nick: string;
  /** Sent only to a room whose disco#info says it is password-protected. */
  password?: string;
  /** Where the password came from: shown by -v, never the password itself. */
  passwordSource?: string;
}

/** -G FILE, else XMPP_ROOM_PASSWORD: one password for every room given. */
function sharedPassword(line: CommandLine, sources: OptionSources): Password | undefined {
  const file = line.roomPasswordFile;
  if (file !== undefined) return { password: readPasswordFile(file, sources), source: `-G ${file}` };
  const fromEnv = sources.env.XMPP_ROOM_PASSWORD;
  return fromEnv ? { password: fromEnv, source: 'XMPP_ROOM_PASSWORD' } : undefined;
}

/**
 * The rooms of -g. The nick is the JID's resource, else `nick` in the room's config section, else
 * `defaultNick` (the account's section or [defaults]); none at all is a usage error.
 */
export function resolveRooms(line: CommandLine, config: ReadonlyMap<string, ConfigSection>, defaultNick: string | undefined, sources: OptionSources): RoomTarget[] {
  if (line.roomPasswordFile !== undefined && line.rooms.length === 0) throw new UsageError('-G needs a room (-g ROOM@SERVICE/NICK)');
  const shared = sharedPassword(line, sources);
  return line.rooms.map((text) => {
    const jid = parseJid(text, 'room JID');
    if (!jid.local) throw new DataError(`invalid room JID ${JSON.stringify(text)}: no room name (ROOM@SERVICE/NICK)`);
    const room = bareJid(jid);
    const section = config.get(room) ?? {};
    const nick = jid.resource || section.nick || defaultNick;
    if (!nick) throw new UsageError(`no nick for room ${room}: give -g ${room}/NICK, or "nick" in the config file`);
    parseJid(`${room}/${nick}`, `nick for ${room}`);
    const password = shared ?? configPassword(section, sources);
    return { room, nick, ...(password && { password: password.password, passwordSource: password.source }) };
  });
}

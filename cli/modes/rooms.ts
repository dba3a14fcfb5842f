// Rooms (-g) as send and continuous mode use them: disco#info first (no room is ever created by
// mistake, and it says whether the room wants a password), then the join. A sent message counts
// only once the room has relayed it back, that is to every occupant.
import { RoomForbiddenError } from '../../xmpp/errors.ts';
import type { History, Muc, Occupancy } from '../../xmpp/muc.ts';
import type { RoomTarget } from '../options/rooms.ts';

export async function enterRoom(muc: Muc, target: RoomTarget, history: History, progress: (text: string) => void): Promise<Occupancy> {
  const { room, nick } = target;
  const { passwordProtected } = await muc.discover(room);
  if (passwordProtected && target.password === undefined) {
    throw new RoomForbiddenError(room, 'not-authorized', 'the room is password-protected: give its password with -G FILE, XMPP_ROOM_PASSWORD or the config file');
  }
  progress(`joining ${room} as ${nick}${passwordProtected ? ` with the password from ${target.passwordSource}` : ''}`);
  // A password goes only to a room that asked for one.
  const occupancy = await muc.join({ room, nick, history, ...(passwordProtected && { password: target.password }) });
  progress(`in ${room} as ${occupancy.nick}`);
  return occupancy;
}

export async function sayInRoom(muc: Muc, target: RoomTarget, body: string, progress: (text: string) => void): Promise<void> {
  const occupancy = await enterRoom(muc, target, { maxstanzas: 0 }, progress);
  try {
    await muc.say(occupancy, body);
    progress(`${target.room} relayed the message`);
  } finally {
    await muc.leave(occupancy);
  }
}

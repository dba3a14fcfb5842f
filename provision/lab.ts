// The lab. Edit this file and run `chatlab generate` (e.g. ejabberdNodes: 3 for a three-node cluster).
import type { LabSpec, RoomSpec } from './model.ts';

const accounts = ['alice', 'bob', 'carol'];
// Every demo account of both domains: the rooms are where the two servers' users meet.
const everyone: RoomSpec['members'] = (['prosody', 'ejabberd'] as const).flatMap((server) => accounts.map((user) => ({ user, server })));

export const lab: LabSpec = {
  name: 'chatlab',
  zone: 'chat.test',
  hostLabel: 'lab',
  subnet: '192.168.56.0/21',
  offsets: { workstation: 1, haproxy: 10, prosody: 11, db: 12, ejabberdBase: 20, client: 100 },
  domains: { prosody: 'prosody.chat.test', ejabberd: 'ejabberd.chat.test' },
  ejabberdNodes: 2,
  storage: 'sql',
  accounts,
  // Certificates only, as both servers can: dialback would let a server that cannot prove its
  // name with the lab CA in, on the strength of DNS alone.
  federation: { dialback: false },
  rooms: [
    { name: 'lab', server: 'prosody', title: 'Lab (Prosody)', owner: 'alice', members: everyone },
    { name: 'lab', server: 'ejabberd', title: 'Lab (ejabberd cluster)', owner: 'alice', members: everyone },
  ],
  ports: { c2s: 5222, c2sProxied: 5322, s2s: 5269, erlangDist: 5210, dns: 53, sql: 3306 },
  // Sized for the capacity targets (2,000 sessions through HAProxy, 1,500 on Prosody): a node that
  // takes over a dead peer's sessions needs one descriptor each, HAProxy two per session (client and
  // server side), so 8,000 sessions need 16,000+ descriptors there. The servers' login default of
  // 1,024 is what broke the hand-made lab at ~1,000 sessions.
  limits: { offlinePerUser: 20000, openFiles: 65536, maxSessions: 8000 },
  erlang: { netTicktime: 8 },
  vagrant: {
    box: 'debian/bookworm64',
    memoryMb: { haproxy: 512, prosody: 768, ejabberd: 1024, db: 768 },
    cpus: 1,
  },
};

// Every check on a LabSpec in one place; all problems are reported together, each naming the field.
import { parseCidr, resolveLab, type Lab, type LabSpec } from './model.ts';

export class ModelError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid lab model:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ModelError';
  }
}

const LABEL = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
const isDnsName = (name: string) => name.length <= 253 && name.split('.').every((l) => LABEL.test(l));
// RFC 7622 localpart: no spaces, none of "&'/:<>@ and not empty; the lab also wants shell-safe names.
const LOCALPART = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export function validateSpec(spec: LabSpec): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, message: string) => {
    if (!ok) problems.push(message);
  };

  check(/^[a-z][a-z0-9]{0,7}$/.test(spec.name), `name: "${spec.name}" must be 1-8 lower-case letters/digits (it prefixes interface names, which Linux caps at 15 chars)`);
  check(isDnsName(spec.zone), `zone: "${spec.zone}" is not a DNS name`);
  check(LABEL.test(spec.hostLabel), `hostLabel: "${spec.hostLabel}" is not a DNS label`);
  for (const [key, domain] of Object.entries(spec.domains)) {
    check(isDnsName(domain) && domain.endsWith(`.${spec.zone}`), `domains.${key}: "${domain}" must be a DNS name inside zone ${spec.zone}`);
  }
  check(spec.domains.prosody !== spec.domains.ejabberd, 'domains: prosody and ejabberd must differ');
  check(Number.isInteger(spec.ejabberdNodes) && spec.ejabberdNodes >= 1 && spec.ejabberdNodes <= 9, `ejabberdNodes: ${spec.ejabberdNodes} must be an integer from 1 to 9`);
  check(spec.storage === 'sql' || spec.storage === 'mnesia', `storage: "${spec.storage}" must be sql or mnesia`);
  check(spec.accounts.length > 0, 'accounts: at least one demo account is needed');
  for (const user of spec.accounts) check(LOCALPART.test(user), `accounts: "${user}" is not a simple JID localpart`);
  check(new Set(spec.accounts).size === spec.accounts.length, 'accounts: duplicates');

  check(typeof spec.federation?.dialback === 'boolean', 'federation.dialback must be true or false');
  for (const [i, room] of spec.rooms.entries()) {
    const where = `rooms[${i}] (${room.name})`;
    check(LOCALPART.test(room.name), `${where}: name is not a simple JID localpart`);
    check(room.server in spec.domains, `${where}: server must be prosody or ejabberd`);
    check(spec.accounts.includes(room.owner), `${where}: owner "${room.owner}" is not one of the accounts`);
    for (const m of room.members) check(spec.accounts.includes(m.user) && m.server in spec.domains, `${where}: member ${m.user}@${m.server} is not an account of the lab`);
  }
  const roomIds = spec.rooms.map((r) => `${r.name}@${r.server}`);
  check(new Set(roomIds).size === roomIds.length, 'rooms: two rooms share a name on one server');

  const ports = Object.entries(spec.ports);
  for (const [key, port] of ports) check(Number.isInteger(port) && port > 0 && port < 65536, `ports.${key}: ${port} is not a TCP port`);
  check(new Set(ports.map(([, p]) => p)).size === ports.length, 'ports: every port must be distinct');
  check(spec.limits.offlinePerUser >= 1, 'limits.offlinePerUser must be >= 1');
  check(spec.limits.openFiles >= 1024, 'limits.openFiles must be >= 1024');
  check(spec.limits.maxSessions >= 1 && spec.limits.maxSessions * 2 + 64 <= spec.limits.openFiles,
    'limits.maxSessions: HAProxy needs two sockets a session, so maxSessions * 2 + 64 must fit in limits.openFiles');
  check(spec.erlang.netTicktime >= 4, 'erlang.netTicktime must be >= 4 seconds');

  let size = 0;
  try {
    size = 2 ** (32 - parseCidr(spec.subnet).prefixLength);
  } catch (error) {
    problems.push(`subnet: ${(error as Error).message}`);
  }
  if (size) {
    const offsets = [
      spec.offsets.workstation,
      spec.offsets.haproxy,
      spec.offsets.prosody,
      spec.offsets.client,
      ...(spec.storage === 'sql' ? [spec.offsets.db] : []),
      ...Array.from({ length: Math.max(0, spec.ejabberdNodes) }, (_, i) => spec.offsets.ejabberdBase + i + 1),
    ];
    check(offsets.every((o) => Number.isInteger(o) && o > 0 && o < size - 1), `offsets: every host must fall inside ${spec.subnet} (not the network or broadcast address)`);
    check(new Set(offsets).size === offsets.length, 'offsets: two hosts share an address');
  }
  return problems;
}

/** The one way in: a spec that does not validate never becomes a Lab. */
export function defineLab(spec: LabSpec): Lab {
  const problems = validateSpec(spec);
  if (problems.length) throw new ModelError(problems);
  return resolveLab(spec);
}

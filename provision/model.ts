// The lab as data. A LabSpec is what a person edits (provision/lab.ts); resolveLab() turns it into
// a Lab with every derived fact (addresses, host names, Erlang node names) computed in one place,
// so generators and the runner never re-derive anything and cannot disagree.

export type Role = 'haproxy' | 'prosody' | 'ejabberd' | 'db' | 'client';

/** Where ejabberd keeps users, rosters, offline messages and archives: the lab's MariaDB host, or
 *  Mnesia beside each node (the original lab; it loses offline messages stored during a login). */
export type EjabberdStorage = 'sql' | 'mnesia';

/** The lab's two XMPP servers, by the key of `domains`. */
export type ServerKey = 'prosody' | 'ejabberd';

/** A persistent, members-only group chat room on one server's MUC service (conference.<domain>). */
export interface RoomSpec {
  /** The room's local part: `lab` becomes lab@conference.<domain>. */
  name: string;
  server: ServerKey;
  /** Shown in disco#info. */
  title: string;
  /** An account (user name) of the room's own server: the room's owner. */
  owner: string;
  /** Members, by user name and server: federation lets the other domain's accounts in too. */
  members: Array<{ user: string; server: ServerKey }>;
}

export interface LabSpec {
  /** Short name: prefixes namespaces, bridge and Vagrant machines. */
  name: string;
  /** DNS zone served by the lab's bind9; both XMPP domains and all host names live under it. */
  zone: string;
  /** Sub-label for host names: host `prosody` becomes `prosody.<hostLabel>.<zone>`. */
  hostLabel: string;
  /** The private network. VirtualBox >= 6.1.28 only allows 192.168.56.0/21 for host-only nets. */
  subnet: string;
  /** Host part (offset from the network address) of each fixed host; ejabberd node i gets ejabberdBase + i. */
  offsets: { workstation: number; haproxy: number; prosody: number; db: number; ejabberdBase: number; client: number };
  domains: { prosody: string; ejabberd: string };
  ejabberdNodes: number;
  /** `sql`: ejabberd on the \`db\` host's MariaDB (Mnesia keeps only cluster state); \`mnesia\`: no db host. */
  storage: EjabberdStorage;
  /** Demo accounts, created on both domains. */
  accounts: string[];
  federation: {
    /**
     * How servers authenticate each other on s2s, always over TLS verified against the lab CA:
     * SASL EXTERNAL with the certificates (XEP-0178) only, or also server dialback (XEP-0220) as the
     * fallback for a peer that cannot offer EXTERNAL.
     */
    dialback: boolean;
  };
  rooms: RoomSpec[];
  ports: {
    /** Client-to-server, STARTTLS required, everywhere. */
    c2s: number;
    /** ejabberd's listener that expects a PROXY v2 header; only HAProxy talks to it. */
    c2sProxied: number;
    /** Server-to-server, STARTTLS required. On ejabberd behind HAProxy, with a PROXY v2 header. */
    s2s: number;
    /** Erlang distribution (ERL_DIST_PORT: fixed port, no epmd). */
    erlangDist: number;
    dns: number;
    /** MariaDB on the db host, TLS required, reachable from the ejabberd nodes only. */
    sql: number;
  };
  limits: {
    /** Offline messages kept per user; beyond it the server bounces new ones with an error. */
    offlinePerUser: number;
    /** Open-file limit every server process starts with. */
    openFiles: number;
    /** HAProxy global and frontend maxconn. */
    maxSessions: number;
  };
  erlang: {
    /** Seconds. The default 60 makes a pulled cable invisible for a minute; the lab wants seconds. */
    netTicktime: number;
  };
  vagrant: {
    box: string;
    memoryMb: Record<Exclude<Role, 'client'>, number>;
    cpus: number;
  };
}

export interface Host {
  /** Namespace / Vagrant machine suffix: haproxy, prosody, ejabberd1..N, client. */
  name: string;
  role: Role;
  address: string;
  fqdn: string;
  /** Only real machines in Vagrant: the workstation itself plays the client there. */
  vagrant: boolean;
}

export interface EjabberdNode {
  host: Host;
  index: number;
  /** Erlang long name; resolvable through the lab zone and every host's /etc/hosts. */
  erlangNode: string;
}

export interface Account {
  user: string;
  domain: string;
  jid: string;
}

export interface Room {
  jid: string;
  name: string;
  title: string;
  /** The MUC service: conference.<domain>. */
  service: string;
  server: ServerKey;
  owner: string;
  members: string[];
}

export interface Lab {
  spec: LabSpec;
  prefixLength: number;
  networkAddress: string;
  workstationAddress: string;
  hosts: Host[];
  haproxy: Host;
  prosody: Host;
  client: Host;
  /** The MariaDB host of ejabberd's SQL storage; absent with storage 'mnesia'. */
  db: Host | undefined;
  ejabberd: EjabberdNode[];
  /** The DNS server every host (and the workstation) asks. */
  dnsServer: Host;
  accounts: Account[];
  rooms: Room[];
}

export function parseCidr(cidr: string): { network: number; prefixLength: number } {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!match) throw new Error(`not an IPv4 CIDR: ${cidr}`);
  const octets = match.slice(1, 5).map(Number);
  const prefixLength = Number(match[5]);
  if (octets.some((o) => o > 255) || prefixLength < 8 || prefixLength > 30) throw new Error(`not a usable IPv4 CIDR: ${cidr}`);
  const value = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefixLength);
  return { network: value - (value % size), prefixLength };
}

export function formatIPv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

export function resolveLab(spec: LabSpec): Lab {
  const { network, prefixLength } = parseCidr(spec.subnet);
  const at = (offset: number) => formatIPv4(network + offset);
  const fqdn = (name: string) => `${name}.${spec.hostLabel}.${spec.zone}`;
  const host = (name: string, role: Role, offset: number, vagrant = true): Host => ({
    name,
    role,
    address: at(offset),
    fqdn: fqdn(name),
    vagrant,
  });

  const haproxy = host('haproxy', 'haproxy', spec.offsets.haproxy);
  const prosody = host('prosody', 'prosody', spec.offsets.prosody);
  const client = host('client', 'client', spec.offsets.client, false);
  const db = spec.storage === 'sql' ? host('db', 'db', spec.offsets.db) : undefined;
  const ejabberd = Array.from({ length: spec.ejabberdNodes }, (_, i): EjabberdNode => {
    const h = host(`ejabberd${i + 1}`, 'ejabberd', spec.offsets.ejabberdBase + i + 1);
    return { host: h, index: i + 1, erlangNode: `ejabberd@${h.fqdn}` };
  });

  const accounts = [spec.domains.prosody, spec.domains.ejabberd].flatMap((domain) =>
    spec.accounts.map((user) => ({ user, domain, jid: `${user}@${domain}` })),
  );

  const jidOf = (user: string, server: ServerKey) => `${user}@${spec.domains[server]}`;
  const rooms = spec.rooms.map((room): Room => {
    const service = mucService(spec.domains[room.server]);
    return {
      jid: `${room.name}@${service}`,
      name: room.name,
      title: room.title,
      service,
      server: room.server,
      owner: jidOf(room.owner, room.server),
      members: room.members.map((m) => jidOf(m.user, m.server)),
    };
  });

  return {
    spec,
    prefixLength,
    networkAddress: formatIPv4(network),
    workstationAddress: at(spec.offsets.workstation),
    hosts: [haproxy, prosody, ...(db ? [db] : []), ...ejabberd.map((n) => n.host), client],
    haproxy,
    prosody,
    client,
    db,
    ejabberd,
    dnsServer: haproxy,
    accounts,
    rooms,
  };
}

/** Each domain's group chat service: a subdomain, as both servers name it by default. */
export const mucService = (domain: string) => `conference.${domain}`;

/** The names a server answers for, and its certificate must carry: the domain and its MUC service. */
export const serverNames = (domain: string) => [domain, mucService(domain)];

/** Where clients of each domain connect: Prosody directly, ejabberd through HAProxy. */
export function serviceHost(lab: Lab, domain: string): Host {
  return domain === lab.spec.domains.prosody ? lab.prosody : lab.haproxy;
}

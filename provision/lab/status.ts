// `chatlab status`: what a person or a script needs to know about the lab, read from the machine.
import { connect } from 'node:net';
import type { LabContext } from './runner.ts';
import { clusterView } from './runner.ts';
import { listNetns, cableConnected, guardRoutePresent } from './network.ts';
import { hostProcesses, type Proc } from './processes.ts';
import { caFile, passwordFile, secretsDir } from '../paths.ts';
import { serviceHost, type LabSpec } from '../model.ts';
import { HAPROXY_ADMIN_SOCKET } from '../roles.ts';
import { outsidePath } from './plan.ts';
import { ejabberdS2sView, prosodyS2sView, type S2sView } from './s2s-view.ts';

export interface LabStatus {
  name: string;
  up: boolean;
  subnet: string;
  /** This machine's adapter into the lab network. */
  workstationDevice: string;
  guardRoute: boolean;
  caFile: string;
  secretsDir: string;
  dnsServer: string;
  workstationAddress: string;
  domains: Array<{ domain: string; server: string; connect: string }>;
  ports: LabSpec['ports'];
  /** Where ejabberd keeps its data, and the host of its database (null with Mnesia). */
  storage: string;
  db: string | null;
  hosts: Array<{ name: string; role: string; address: string; fqdn: string; netns: string; up: boolean; cable: boolean; processes: Proc[] }>;
  ejabberd: Array<{ host: string; node: string; address: string; cluster: string[] | null }>;
  haproxy: Array<{ server: string; status: string }> | null;
  /** Server-to-server streams as Prosody and each ejabberd node see them (hosts that are up). */
  s2s: S2sView[];
  rooms: Array<{ jid: string; server: string; owner: string; members: string[] }>;
  accounts: Array<{ jid: string; passwordFile: string }>;
}

/** `show stat` on HAProxy's admin socket: the socket is a file, reachable from the root namespace. */
function haproxyServers(socketPath: string): Promise<Array<{ server: string; status: string }> | null> {
  return new Promise((resolve) => {
    let data = '';
    const sock = connect(socketPath, () => sock.end('show stat\n'));
    sock.setTimeout(3000, () => sock.destroy());
    sock.on('data', (chunk) => (data += chunk));
    sock.on('error', () => resolve(null));
    sock.on('close', () => {
      const rows = data.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(','));
      resolve(data ? rows.filter((r) => r[1] !== 'FRONTEND' && r[1] !== 'BACKEND').map((r) => ({ server: `${r[0]}/${r[1]}`, status: r[17] ?? '?' })) : null);
    });
  });
}

export async function labStatus(ctx: LabContext): Promise<LabStatus> {
  const { lab, plan, state } = ctx;
  const existing = await listNetns();
  const hosts = await Promise.all(
    plan.hosts.map(async (h) => {
      const up = existing.has(h.netns);
      return {
        name: h.host.name,
        role: h.host.role,
        address: h.host.address,
        fqdn: h.host.fqdn,
        netns: h.netns,
        up,
        cable: up && existing.has(plan.switchNetns) && (await cableConnected(plan, h)),
        processes: up ? await hostProcesses(h) : [],
      };
    }),
  );
  const ejabberd = await Promise.all(
    lab.ejabberd.map(async (n) => ({
      host: n.host.name,
      node: n.erlangNode,
      address: n.host.address,
      cluster: existing.has(plan.hosts.find((h) => h.host.name === n.host.name)!.netns) ? (await clusterView(ctx, n.host.name)) ?? null : null,
    })),
  );
  const serverHosts = plan.hosts.filter((h) => existing.has(h.netns) && (h.host.role === 'prosody' || h.host.role === 'ejabberd'));
  const s2s = await Promise.all(serverHosts.map((h) => (h.host.role === 'prosody' ? prosodyS2sView(h) : ejabberdS2sView(h))));
  const haproxyHost = plan.hosts.find((h) => h.host.role === 'haproxy')!;
  const haproxySocket = outsidePath(haproxyHost, HAPROXY_ADMIN_SOCKET);
  return {
    name: lab.spec.name,
    // Namespaces outlive a stopped session; a lab is up only if its servers run too.
    up: hosts.every((h) => h.up && (h.role === 'client' || h.processes.length > 0)),
    subnet: plan.subnet,
    workstationDevice: plan.workstationDevice,
    guardRoute: await guardRoutePresent(plan),
    caFile: caFile(state),
    secretsDir: secretsDir(state),
    dnsServer: lab.dnsServer.address,
    workstationAddress: lab.workstationAddress,
    domains: [lab.spec.domains.prosody, lab.spec.domains.ejabberd].map((domain) => {
      const server = serviceHost(lab, domain);
      return { domain, server: server.name, connect: `${server.address}:${lab.spec.ports.c2s}` };
    }),
    ports: { ...lab.spec.ports },
    storage: lab.spec.storage,
    db: lab.db?.name ?? null,
    hosts,
    ejabberd,
    haproxy: existing.has(haproxyHost.netns) ? await haproxyServers(haproxySocket) : null,
    s2s,
    rooms: lab.rooms.map((r) => ({ jid: r.jid, server: r.server, owner: r.owner, members: r.members })),
    accounts: lab.accounts.map((a) => ({ jid: a.jid, passwordFile: passwordFile(state, a.jid) })),
  };
}

export function formatStatus(s: LabStatus): string {
  const lines = [`lab ${s.name}: ${s.up ? 'up' : 'down'}${s.guardRoute ? '' : ' (no guard route)'}`];
  for (const h of s.hosts) {
    const procs = h.processes.map((p) => `${p.command}[${p.pid}]`).join(' ');
    lines.push(`  ${h.name.padEnd(10)} ${h.address.padEnd(15)} ${h.up ? (h.cable ? 'up  ' : 'CUT ') : 'down'} ${procs}`);
  }
  for (const n of s.ejabberd) lines.push(`  cluster as ${n.host} sees it: ${n.cluster ? n.cluster.join(', ') : 'unreachable'}`);
  if (s.haproxy) lines.push(`  haproxy: ${s.haproxy.map((x) => `${x.server} ${x.status}`).join(', ')}`);
  for (const v of s.s2s) {
    const counts = v.incoming === null ? 'no answer' : `${v.incoming} in, ${v.outgoing} out`;
    lines.push(`  s2s as ${v.host} sees it: ${counts}${v.streams?.length ? ` (${v.streams.join(', ')})` : ''}`);
  }
  for (const d of s.domains) lines.push(`  ${d.domain}: ${d.connect} (${d.server})`);
  for (const r of s.rooms) lines.push(`  room ${r.jid}: owner ${r.owner}, ${r.members.length} members`);
  lines.push(`  CA: ${s.caFile}`);
  return lines.join('\n');
}

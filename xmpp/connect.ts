// Where to connect: an explicit host, else SRV _xmpp-client._tcp (RFC 6120 3.2.1), else the domain
// itself on 5222 (3.2.2); each name's addresses in turn, until one is reachable. No host-meta.
import { bounded } from './bounded.ts';
import { classify, UnavailableError, UnreachableError } from './errors.ts';
import { ipVersion } from './ip.ts';

export interface ServerAddress {
  host: string;
  port: number;
}

/** One address to try: `where` names it in every message about it. */
export interface Endpoint {
  host: string;
  ip: string;
  port: number;
  where: string;
}

export interface SrvRecord {
  name: string;
  port: number;
  priority: number;
  weight: number;
}

/** The resolver: the system's, or a fake in tests. */
export interface Dns {
  resolveSrv(name: string, timeoutMs: number): Promise<SrvRecord[]>;
  lookup(host: string): Promise<string[]>;
}

// node:dns/promises is loaded when a name is first resolved, not at start-up; an address (-x with
// an IP) is no name, and loads nothing.
const systemDns: Dns = {
  async resolveSrv(name, timeoutMs) {
    const { Resolver } = await import('node:dns/promises');
    return new Resolver({ timeout: Math.min(timeoutMs, 3000), tries: 2 }).resolveSrv(name);
  },
  async lookup(host) {
    if (ipVersion(host)) return [host];
    const { lookup } = await import('node:dns/promises');
    return (await lookup(host, { all: true })).map((entry) => entry.address);
  },
};

export const hostPort = (host: string, port: number) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

/** SRV records by priority, then weight; a failed lookup falls back to DOMAIN:5222. */
export async function serviceAddresses(domain: string, timeoutMs: number, dns: Dns = systemDns): Promise<ServerAddress[]> {
  let records: SrvRecord[];
  try {
    records = await dns.resolveSrv(`_xmpp-client._tcp.${domain}`, timeoutMs);
  } catch {
    // No SRV record (or no DNS at all).
    return [{ host: domain, port: 5222 }];
  }
  if (records.length === 1 && records[0]!.name === '.') {
    throw new UnavailableError(`${domain} says it offers no XMPP client service (SRV target ".")`);
  }
  return records
    .sort((a, b) => a.priority - b.priority || b.weight - a.weight)
    .map((record) => ({ host: record.name.replace(/\.$/, ''), port: record.port }));
}

/** The explicit server, or the domain's service addresses, looked up within the time-out. */
export function serverAddresses(domain: string, server: ServerAddress | undefined, timeoutMs: number, dns: Dns = systemDns): Promise<ServerAddress[]> {
  if (server) return Promise.resolve([server]);
  return bounded(serviceAddresses(domain, timeoutMs, dns), timeoutMs, `looking up SRV for ${domain}`);
}

async function ipAddresses(host: string, dns: Dns): Promise<string[]> {
  try {
    return await dns.lookup(host);
  } catch (error) {
    throw new UnavailableError(`cannot resolve ${host}: ${(error as { code?: string }).code ?? (error as Error).message}`);
  }
}

export interface FailoverOptions {
  domain: string;
  timeoutMs: number;
  /** Each address that could not be reached, before the next is tried. */
  progress: (text: string) => void;
  dns?: Dns;
}

/**
 * Tries `attempt` on every address of every target in order and returns the first success. Only an
 * address that could not be reached moves on to the next; any other failure (a refused login, an
 * untrusted certificate) is the answer.
 */
export async function firstReachable<T>(
  targets: readonly ServerAddress[],
  attempt: (endpoint: Endpoint) => Promise<T>,
  options: FailoverOptions,
): Promise<T> {
  const dns = options.dns ?? systemDns;
  let lastError: Error | undefined;
  for (const target of targets) {
    const addresses = await bounded(ipAddresses(target.host, dns), options.timeoutMs, `resolving ${target.host}`);
    for (const ip of addresses) {
      const where = target.host === ip ? hostPort(ip, target.port) : `${target.host} (${hostPort(ip, target.port)})`;
      try {
        return await attempt({ host: target.host, ip, port: target.port, where });
      } catch (error) {
        lastError = classify(error, where);
        if (!(lastError instanceof UnreachableError)) throw lastError;
        options.progress(lastError.message);
      }
    }
  }
  throw lastError ?? new UnavailableError(`no address for ${options.domain}`);
}

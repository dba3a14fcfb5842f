// Whether a server name is an IP address, without net's IPv6 regular expression for a name that
// cannot be one. In Node 20 that expression runs for 3-4 ms the first time and 0.7 ms after, on
// any string that is not an IPv4 address, and tls.connect() and tls.checkServerIdentity() each
// run it on the server's name: the largest single cost of a login (--cpu-prof of `rsxcc -s`).
// Every textual IPv6 address (RFC 4291 2.2, with or without a zone) holds a colon.
import { isIP, isIPv4 } from 'node:net';

// Node's own, taken once: adapter.ts puts ipVersion in its place on the module object.
const nodeIsIp = isIP;

/** net.isIP's answer: 4, 6, or 0 for a name. */
export const ipVersion = (host: string): number => (host.includes(':') ? nodeIsIp(host) : isIPv4(host) ? 4 : 0);

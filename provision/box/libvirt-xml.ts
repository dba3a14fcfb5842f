// libvirt network definitions for the lab. Pure, so the isolation promise (no <forward>: no NAT,
// no routing; no DNS from libvirt; no default gateway handed to guests) is checked by unit tests.

export interface IsolatedNetwork {
  name: string;
  /** Linux bridge name: at most 15 characters. */
  bridge: string;
  /** This machine's address on the network; guests see no gateway at all. */
  hostAddress: string;
  prefixLength: number;
  /** Present only for the management network, where Vagrant learns each guest's address from
   *  libvirt's DHCP leases. */
  dhcpRange?: { start: string; end: string };
}

export function prefixToNetmask(prefixLength: number): string {
  if (!Number.isInteger(prefixLength) || prefixLength < 1 || prefixLength > 30) {
    throw new Error(`unusable prefix length ${prefixLength}`);
  }
  const mask = (0xffffffff << (32 - prefixLength)) >>> 0;
  return [24, 16, 8, 0].map((s) => (mask >>> s) & 255).join('.');
}

const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

export function networkXml(net: IsolatedNetwork): string {
  if (net.bridge.length > 15) throw new Error(`bridge name too long for Linux: ${net.bridge}`);
  const dhcp = net.dhcpRange
    ? [
        '    <dhcp>',
        `      <range start="${escapeAttr(net.dhcpRange.start)}" end="${escapeAttr(net.dhcpRange.end)}"/>`,
        '    </dhcp>',
      ]
    : [];
  // Without <forward> libvirt makes an isolated network: its firewall rules reject traffic
  // routed between this bridge and any other interface, and its DHCP server announces no router.
  return [
    '<network>',
    `  <name>${escapeAttr(net.name)}</name>`,
    `  <bridge name="${escapeAttr(net.bridge)}" stp="off" delay="0"/>`,
    '  <dns enable="no"/>',
    `  <ip address="${escapeAttr(net.hostAddress)}" netmask="${prefixToNetmask(net.prefixLength)}">`,
    ...dhcp,
    '  </ip>',
    '</network>',
    '',
  ].join('\n');
}

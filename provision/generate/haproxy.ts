// The haproxy host: HAProxy in TCP mode in front of the ejabberd nodes, and the lab's DNS server.
import type { Lab } from '../model.ts';
import { dedent, generated, type GeneratedFile } from './file.ts';
import { roleScript } from './script.ts';
import { HAPROXY_ADMIN_SOCKET, ROLE_PACKAGES } from '../roles.ts';
import { zonePath } from './dns.ts';

/** The XMPP-level health check: a node is up when it answers a stream header with STARTTLS. */
export function streamHeader(domain: string): string {
  return `<?xml version='1.0'?><stream:stream to='${domain}' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`;
}

/**
 * A backend of every ejabberd node on PORT. Traffic carries a PROXY v2 header, so ejabberd logs the
 * real peer address. Checks go to the node's direct client port instead: ejabberd 23.01 drops data
 * that arrives in the same segment as the PROXY header, which is how HAProxy sends a check's first
 * bytes. fall 3 at inter 2s: a dead node is out within ~4 s (fastinter after the first failure),
 * and only then are its sessions cut (shutdown-sessions), so that its clients reconnect to the
 * others instead of waiting on a half-open connection; a busy node is never cut.
 */
function ejabberdBackend(lab: Lab, name: string, port: number): string {
  const { spec } = lab;
  const lines = [
    `backend ${name}`,
    '  balance leastconn',
    '  option tcp-check',
    `  tcp-check send "${streamHeader(spec.domains.ejabberd)}"`,
    '  tcp-check expect string urn:ietf:params:xml:ns:xmpp-tls',
    `  default-server send-proxy-v2 port ${spec.ports.c2s} inter 2s fastinter 1s downinter 1s fall 3 rise 2 on-marked-down shutdown-sessions`,
    ...lab.ejabberd.map((n) => `  server ${n.host.name} ${n.host.address}:${port} check`),
  ];
  return lines.map((line) => `${line}\n`).join('');
}

/** haproxy.cfg, section by section, a blank line between them. */
export function haproxyConfig(lab: Lab): string {
  const { ports } = lab.spec;
  return [
    globalSection(lab),
    DEFAULTS_SECTION,
    frontendSection(lab),
    ejabberdBackend(lab, 'ejabberd', ports.c2sProxied),
    ejabberdBackend(lab, 'ejabberd_s2s', ports.s2s),
  ].join('\n');
}

function globalSection(lab: Lab): string {
  return dedent`
    global
      log stderr format short local0 notice
      maxconn ${lab.spec.limits.maxSessions}
      # Local only (mode 600): the admin socket is never on the network.
      stats socket ${HAPROXY_ADMIN_SOCKET} mode 600 level admin
      stats timeout 30s
      user haproxy
      group haproxy
      chroot /var/lib/haproxy
  `;
}

const DEFAULTS_SECTION = dedent`
  defaults
    mode tcp
    log global
    option tcplog
    option dontlognull
    timeout connect 3s
    # XMPP sessions idle for long stretches; clients ping well within an hour.
    timeout client 1h
    timeout server 1h
    timeout tunnel 1h
    # Dead and busy look different to a check: a dead node refuses the connection at once (a cut
    # one fails within timeout connect), while a node busy with a burst of TLS handshakes accepts
    # and answers late. 3 s read time marked busy nodes DOWN at full CPU; 10 s lets them answer.
    timeout check 10s
    # A connection whose node died is retried on another node instead of hanging.
    retries 3
    option redispatch
`;

function frontendSection(lab: Lab): string {
  const { spec } = lab;
  return dedent`
    frontend xmpp_client
      bind ${lab.haproxy.address}:${spec.ports.c2s}
      maxconn ${spec.limits.maxSessions}
      default_backend ejabberd

    # Other servers reach the cluster here, like clients: federation survives the loss of a node.
    frontend xmpp_server
      bind ${lab.haproxy.address}:${spec.ports.s2s}
      default_backend ejabberd_s2s
  `;
}

export function generateHaproxy(lab: Lab): GeneratedFile[] {
  return [
    generated('haproxy/haproxy.cfg', '#', 'haproxy', haproxyConfig(lab)),
    roleScript(lab, 'haproxy', 'haproxy', {
      ADDRESS: lab.haproxy.address,
      C2S_PORT: lab.spec.ports.c2s,
      S2S_PORT: lab.spec.ports.s2s,
      DNS_PORT: lab.spec.ports.dns,
      ZONE_FILE: zonePath(lab),
      ZONE_NAME: `db.${lab.spec.zone}`,
    }, dedent`
      ensure_packages ${ROLE_PACKAGES.haproxy.join(' ')}
      install_names "$ROOT/lab"

      dns_changed=0
      install_file "$HERE/named.conf.options" /etc/bind/named.conf.options 644 root:bind && dns_changed=1
      install_file "$HERE/named.conf.local" /etc/bind/named.conf.local 644 root:bind && dns_changed=1
      install_file "$HERE/$ZONE_NAME" "$ZONE_FILE" 644 root:bind && dns_changed=1
      install_dir /run/named 775 root:bind
      install_dir /var/cache/bind 775 root:bind
      named-checkconf -z /etc/bind/named.conf >/dev/null || die "named configuration does not load"
      run_service named named.service "$dns_changed" -- named -f -u bind -c /etc/bind/named.conf

      proxy_changed=0
      install_file "$HERE/haproxy.cfg" /etc/haproxy/haproxy.cfg 644 root:root && proxy_changed=1
      install_dir /run/haproxy 755 root:root
      haproxy -c -q -f /etc/haproxy/haproxy.cfg || die "haproxy.cfg does not validate"
      run_service haproxy haproxy.service "$proxy_changed" -- haproxy -W -db -f /etc/haproxy/haproxy.cfg

      wait_tcp "$ADDRESS" "$DNS_PORT" 30 || die "named is not answering on $ADDRESS:$DNS_PORT"
      wait_tcp "$ADDRESS" "$C2S_PORT" 30 || die "haproxy is not listening on $ADDRESS:$C2S_PORT"
      wait_tcp "$ADDRESS" "$S2S_PORT" 30 || die "haproxy is not listening on $ADDRESS:$S2S_PORT"
      finish
    `),
  ];
}

// What each role needs from Debian and which system directories are its own state. Used by the
// script generators (ensure_packages) and by the namespace runner (install, per-host directories).
import type { Role } from './model.ts';

export const ROLE_PACKAGES: Record<Role, string[]> = {
  haproxy: ['haproxy', 'bind9', 'bind9-utils'],
  // Not lua-unbound (a Recommends): libunbound answers NXDOMAIN for the whole of .test, a special-use
  // zone it serves locally (RFC 6761), so Prosody's s2s could not find the lab's other domain; its
  // built-in resolver asks the lab DNS in resolv.conf.
  prosody: ['prosody', 'lua-dbi-mysql', 'mariadb-server', 'mariadb-client'],
  // erlang-p1-mysql is only a Suggests of Debian's ejabberd; mariadb-client loads the schema.
  ejabberd: ['ejabberd', 'erlang-p1-mysql', 'mariadb-client', 'nftables'],
  db: ['mariadb-server', 'mariadb-client', 'nftables'],
  client: ['bind9-dnsutils'],
};

/**
 * The directories a host of each role owns. In a VM they are simply its own; in the namespace lab
 * each is bind-mounted from the host's directory under .chatlab/hosts, so N hosts share one
 * root filesystem without sharing state. /etc ones are seeded from the packaged defaults.
 */
export const ROLE_DIRS: Record<Role, string[]> = {
  haproxy: ['/etc/haproxy', '/run/haproxy', '/var/lib/haproxy', '/etc/bind', '/var/cache/bind', '/run/named'],
  prosody: ['/etc/prosody', '/var/lib/prosody', '/var/log/prosody', '/run/prosody', '/etc/mysql', '/var/lib/mysql', '/run/mysqld', '/var/log/mysql'],
  ejabberd: ['/etc/ejabberd', '/var/lib/ejabberd', '/var/log/ejabberd', '/run/ejabberd'],
  db: ['/etc/mysql', '/var/lib/mysql', '/run/mysqld', '/var/log/mysql'],
  client: [],
};

/** HAProxy's admin socket: in a directory of the host's own, so that `status` and `load` reach it
 *  from this machine through the bind's source (lab/plan.ts outsidePath). */
export const HAPROXY_ADMIN_SOCKET = '/run/haproxy/admin.sock';

/** Every host: the pid files and logs of processes started without systemd. */
export const COMMON_DIRS = ['/run/chatlab', '/var/log/chatlab'];

// The prosody host: Prosody with its storage in a MariaDB on the same host, reached over the
// local socket with unix_socket authentication (no database password exists at all).
import type { Lab } from '../model.ts';
import { dedent, generated, type GeneratedFile } from './file.ts';
import { roleScript } from './script.ts';
import { mariadbConfig } from './mariadb.ts';
import { ROLE_PACKAGES } from '../roles.ts';
import { PROSODY_LAB_CA, prosodyS2s, prosodyS2sModules } from './federation.ts';
import { prosodyMucComponent, prosodyRoomSteps } from './rooms.ts';
import { CHATLAB_MODULES, MODULE_DIR, moduleFile } from './prosody-modules.ts';

export const DATABASE = 'prosody';
/** prosody.cfg.lua, section by section, a blank line between them. */
export function prosodyConfig(lab: Lab): string {
  return [processSection(), moduleSection(lab), networkSection(lab), authSection(), storageSection(lab) + smacksSection(lab), logSection(), hostSection(lab)].join('\n');
}

function processSection(): string {
  return dedent`
    admins = { }
    pidfile = "/run/prosody/prosody.pid"
    -- Prosody 0.12's native epoll loop: no libevent layer, and no select() cap at 1,024 sockets.
    network_backend = "epoll"
    -- Stanzas leave at once: with Nagle's algorithm on, the stream features after TLS waited for
    -- the client's delayed ACK, 40 ms on every login.
    network_settings = { nagle = false }
    -- Lua's own collector pacing. Prosody's default starts a new cycle at 105% of the live heap, so
    -- the collector hardly pauses, and each cycle walks every stream-management queue whole: an
    -- offline flush to a client with stream management then spent most of its time collecting.
    gc = { mode = "incremental"; threshold = 200; speed = 100 }
  `;
}

function moduleSection(lab: Lab): string {
  return dedent`
    plugin_paths = { "${MODULE_DIR}" }
    modules_enabled = {
      "roster"; "saslauth"; "tls"; "disco"; "ping"; "time"; "version";
      "offline";  -- offline storage (XEP-0160)
      "smacks";   -- stream management (XEP-0198)${CHATLAB_MODULES.map((m) => `
  "${m.name}";  -- ${m.purpose}`).join('')}
      "mam";      -- message archive (XEP-0313)
      "limits";
      "admin_shell";  -- provisioning makes the model's rooms through it (local socket only)${prosodyS2sModules(lab).map((m) => `
  "${m}";`).join('')}
    }
    -- No registration from clients.
    allow_registration = false
  `;
}

/** Client and server connections: where Prosody listens, encrypted only. */
function networkSection(lab: Lab): string {
  return dedent`
    c2s_require_encryption = true
    c2s_ports = { ${lab.spec.ports.c2s} }
    c2s_interfaces = { "${lab.prosody.address}" }
    ${prosodyS2s(lab)}`;
}

function authSection(): string {
  return dedent`
    authentication = "internal_hashed"

    -- mod_limits without settings throttles every client to 10 kB/s: a 1 MB stanza would take
    -- 100 s to reach the size check, and a busy client would crawl. Generous, still bounded.
    limits = {
      c2s = { rate = "1mb/s"; burst = "2s" };
    }
  `;
}

/** The MariaDB on this host for everything, and the bounds of each archive store. */
function storageSection(lab: Lab): string {
  const { limits } = lab.spec;
  return dedent`
    storage = "sql"
    sql = { driver = "MySQL", database = "${DATABASE}", username = "prosody", password = "", host = "localhost" }
    -- Bounds every archive store, offline messages included.
    storage_archive_item_limit = ${limits.offlinePerUser}
    -- The limit needs each store's item count; counts are cached per user and store, 1,000 by
    -- default, so beyond 1,000 users every archived message also ran a COUNT(*).
    storage_archive_item_limit_cache_size = ${limits.maxSessions * 2}
    archive_expires_after = "1w"
    -- Archiving is opt-in (XEP-0313 prefs), as on the ejabberd side. Every archived message is two
    -- SQL transactions that block Prosody's one event loop: with 1,600 users chatting, logins queued
    -- behind them, the accept backlog filled (129 of 128) and 24 logins timed out; opt-in, 0.
    default_archive_policy = false
  `;
}

/** Stream management: what a dead session's unacknowledged stanzas become. */
function smacksSection(lab: Lab): string {
  return dedent`
    -- Unacknowledged stanzas of a closed session go back to offline storage promptly.
    smacks_hibernation_time = 60
    -- The queue of unacknowledged stanzas is a ring: past its size (default 500) the oldest are
    -- overwritten and lost if the session dies. A whole offline flush must fit, and as much again
    -- of live traffic. Each session's ring holds only what waits (chatlab_smacks_queue).
    smacks_max_queue_size = ${lab.spec.limits.offlinePerUser * 2}
  `;
}

function logSection(): string {
  return dedent`
    -- Production level: at info every connection writes lines (a debug log once grew to 67 MB).
    log = {
      warn = "/var/log/prosody/prosody.log";
      error = "/var/log/prosody/prosody.err";
    }
  `;
}

/** The domain and its MUC service, both presenting the one certificate that names them. */
function hostSection(lab: Lab): string {
  const domain = lab.spec.domains.prosody;
  // One certificate for the domain and its MUC service (both names in it): each host presents it,
  // on c2s and on s2s, where it also serves as the client certificate of outgoing streams.
  const ssl = `ssl = { certificate = "/etc/prosody/certs/${domain}.crt"; key = "/etc/prosody/certs/${domain}.key"; cafile = "${PROSODY_LAB_CA}" }`;
  return dedent`
    VirtualHost "${domain}"
      ${ssl}

    ${prosodyMucComponent(lab, ssl)}
  `;
}

export function generateProsody(lab: Lab): GeneratedFile[] {
  const { spec } = lab;
  return [
    generated('prosody/prosody.cfg.lua', '--', 'prosody', prosodyConfig(lab)),
    generated('prosody/mariadb.cnf', '#', 'prosody', mariadbConfig(lab, MARIADB_SETTINGS)),
    ...CHATLAB_MODULES.map((m) => generated(`prosody/${moduleFile(m)}`, '--', 'prosody-modules', m.source)),
    generated('prosody/mariadb-setup.sql', '--', 'prosody', DATABASE_SETUP),
    roleScript(lab, 'prosody', 'prosody', {
      DOMAIN: spec.domains.prosody,
      ADDRESS: lab.prosody.address,
      C2S_PORT: spec.ports.c2s,
      DATABASE,
      ACCOUNTS: spec.accounts.join(' '),
    }, [DATABASE_STEPS, INSTALL_STEPS, ACCOUNT_STEPS, startSteps(lab)].join('\n')),
  ];
}

const MARIADB_SETTINGS = dedent`
  # Socket only: the database is not on the network at all.
  skip-networking
  # Prosody's SQL calls block its one event loop: an fsync per commit (logins, offline, MAM)
  # stalls every session. Flushed once a second instead; a crash of mariadbd alone loses nothing.
  innodb_flush_log_at_trx_commit = 2
  # Prosody stores a key-value item as DELETE then INSERT. Under REPEATABLE READ the DELETE of a
  # row that is not there yet (a new account) takes a gap lock, so two such writes at once
  # (prosodyctl register side by side, or prosodyctl while the server writes) deadlock and one
  # of them fails. READ COMMITTED takes no gap locks; Prosody needs no more than that.
  transaction-isolation = READ-COMMITTED
`;

const DATABASE_SETUP = dedent`
  CREATE DATABASE IF NOT EXISTS ${DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
  -- The prosody system user proves who it is through the socket; there is no password.
  CREATE USER IF NOT EXISTS 'prosody'@'localhost' IDENTIFIED VIA unix_socket;
  GRANT ALL PRIVILEGES ON ${DATABASE}.* TO 'prosody'@'localhost';
`;

/** The packages, then the MariaDB on this host with Prosody's database and its socket-only user. */
const DATABASE_STEPS = dedent`
  ensure_packages ${ROLE_PACKAGES.prosody.join(' ')}
  install_names "$ROOT/lab"

  start_mariadb "$HERE/mariadb.cnf" 0
  if [ -z "$(mariadb -N -e "SELECT 1 FROM mysql.global_priv WHERE User='prosody' AND Host='localhost'")" ]; then
    mariadb <"$HERE/mariadb-setup.sql"
    log "created database $DATABASE and its unix_socket user"
    CHANGES=$((CHANGES + 1))
  fi
`;

const INSTALL_STEPS = dedent`
  changed=0
  install_file "$HERE/prosody.cfg.lua" /etc/prosody/prosody.cfg.lua 640 root:prosody && changed=1${CHATLAB_MODULES.map((m) => `
install_file "$HERE/${moduleFile(m)}" ${MODULE_DIR}/${moduleFile(m)} 644 root:root && changed=1`).join('')}
  install_file "$SECRETS/$DOMAIN.crt" "/etc/prosody/certs/$DOMAIN.crt" 644 root:prosody && changed=1
  install_file "$SECRETS/$DOMAIN.key" "/etc/prosody/certs/$DOMAIN.key" 640 root:prosody && changed=1
  install_file "$SECRETS/ca.crt" ${PROSODY_LAB_CA} 644 root:prosody && changed=1
  install_dir /run/prosody 755 prosody:prosody
  install_dir /var/log/prosody 750 prosody:adm
  install_dir /var/lib/prosody 750 prosody:prosody
`;

const ACCOUNT_STEPS = dedent`
  # Accounts go straight into SQL; prosodyctl does not need the server running.
  existing=$(mariadb -N "$DATABASE" -e "SELECT DISTINCT user FROM prosody WHERE host='$DOMAIN' AND store='accounts'" 2>/dev/null || true)
  for user in $ACCOUNTS; do
    grep -qx "$user" <<<"$existing" && continue
    setpriv --reuid=prosody --regid=prosody --init-groups \\
      prosodyctl register "$user" "$DOMAIN" "$(cat "$SECRETS/accounts/$user@$DOMAIN")" >/dev/null
    log "registered $user@$DOMAIN"
    CHANGES=$((CHANGES + 1))
  done
`;

/** Prosody (re)started if a file changed, then the model's rooms through its admin shell. */
function startSteps(lab: Lab): string {
  return dedent`
    run_service prosody prosody.service "$changed" -- \\
      setpriv --reuid=prosody --regid=prosody --init-groups prosody -F
    wait_tcp "$ADDRESS" "$C2S_PORT" 60 || die "Prosody is not listening on $ADDRESS:$C2S_PORT"
    ${prosodyRoomSteps(lab)}
    finish
  `;
}

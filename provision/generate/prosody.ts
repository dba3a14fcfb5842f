// The prosody host: Prosody with its storage in a MariaDB on the same host, reached over the
// local socket with unix_socket authentication (no database password exists at all).
import type { Lab } from '../model.ts';
import { dedent, generated, type GeneratedFile } from './file.ts';
import { roleScript } from './script.ts';
import { ROLE_PACKAGES } from '../roles.ts';

export const DATABASE = 'prosody';

export function prosodyConfig(lab: Lab): string {
  const { spec } = lab;
  const domain = spec.domains.prosody;
  return dedent`
    admins = { }
    pidfile = "/run/prosody/prosody.pid"
    -- Prosody 0.12's native epoll loop: no libevent layer, and no select() cap at 1,024 sockets.
    network_backend = "epoll"

    modules_enabled = {
      "roster"; "saslauth"; "tls"; "disco"; "ping"; "time"; "version";
      "offline";  -- offline storage (XEP-0160)
      "smacks";   -- stream management (XEP-0198)
      "mam";      -- message archive (XEP-0313)
      "limits";
    }
    -- No federation in the lab; no registration from clients.
    modules_disabled = { "s2s" }
    allow_registration = false

    c2s_require_encryption = true
    c2s_ports = { ${spec.ports.c2s} }
    c2s_interfaces = { "${lab.prosody.address}" }
    s2s_ports = { }
    authentication = "internal_hashed"

    -- mod_limits without settings throttles every client to 10 kB/s: a 1 MB stanza would take
    -- 100 s to reach the size check, and a busy client would crawl. Generous, still bounded.
    limits = {
      c2s = { rate = "1mb/s"; burst = "2s" };
    }

    storage = "sql"
    sql = { driver = "MySQL", database = "${DATABASE}", username = "prosody", password = "", host = "localhost" }
    -- Bounds every archive store, offline messages included.
    storage_archive_item_limit = ${spec.limits.offlinePerUser}
    -- The limit needs each store's item count; counts are cached per user and store, 1,000 by
    -- default, so beyond 1,000 users every archived message also ran a COUNT(*).
    storage_archive_item_limit_cache_size = ${spec.limits.maxSessions * 2}
    archive_expires_after = "1w"
    -- Archiving is opt-in (XEP-0313 prefs), as on the ejabberd side. Every archived message is two
    -- SQL transactions that block Prosody's one event loop: with 1,600 users chatting, logins queued
    -- behind them, the accept backlog filled (129 of 128) and 24 logins timed out; opt-in, 0.
    default_archive_policy = false
    -- Unacknowledged stanzas of a closed session go back to offline storage promptly.
    smacks_hibernation_time = 60

    -- Production level: at info every connection writes lines (a debug log once grew to 67 MB).
    log = {
      warn = "/var/log/prosody/prosody.log";
      error = "/var/log/prosody/prosody.err";
    }

    VirtualHost "${domain}"
      ssl = {
        certificate = "/etc/prosody/certs/${domain}.crt";
        key = "/etc/prosody/certs/${domain}.key";
      }
  `;
}

export function generateProsody(lab: Lab): GeneratedFile[] {
  const { spec } = lab;
  const domain = spec.domains.prosody;
  return [
    generated('prosody/prosody.cfg.lua', '--', 'prosody', prosodyConfig(lab)),
    generated('prosody/mariadb.cnf', '#', 'prosody', dedent`
      [mysqld]
      # Socket only: the database is not on the network at all.
      skip-networking
      socket = /run/mysqld/mysqld.sock
      pid-file = /run/mysqld/mysqld.pid
      character-set-server = utf8mb4
      collation-server = utf8mb4_unicode_ci
      innodb_buffer_pool_size = 128M
      # Prosody's SQL calls block its one event loop: an fsync per commit (logins, offline, MAM)
      # stalls every session. Flushed once a second instead; a crash of mariadbd alone loses nothing.
      innodb_flush_log_at_trx_commit = 2
      # Prosody stores a key-value item as DELETE then INSERT. Under REPEATABLE READ the DELETE of a
      # row that is not there yet (a new account) takes a gap lock, so two such writes at once
      # (prosodyctl register side by side, or prosodyctl while the server writes) deadlock and one
      # of them fails. READ COMMITTED takes no gap locks; Prosody needs no more than that.
      transaction-isolation = READ-COMMITTED
      max_connections = 100
      open_files_limit = ${spec.limits.openFiles}
    `),
    generated('prosody/mariadb-setup.sql', '--', 'prosody', dedent`
      CREATE DATABASE IF NOT EXISTS ${DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
      -- The prosody system user proves who it is through the socket; there is no password.
      CREATE USER IF NOT EXISTS 'prosody'@'localhost' IDENTIFIED VIA unix_socket;
      GRANT ALL PRIVILEGES ON ${DATABASE}.* TO 'prosody'@'localhost';
    `),
    roleScript(lab, 'prosody', 'prosody', {
      DOMAIN: domain,
      ADDRESS: lab.prosody.address,
      C2S_PORT: spec.ports.c2s,
      DATABASE,
      ACCOUNTS: spec.accounts.join(' '),
    }, dedent`
      ensure_packages ${ROLE_PACKAGES.prosody.join(' ')}
      install_block "$ROOT/lab/hosts" /etc/hosts || true

      db_changed=0
      install_file "$HERE/mariadb.cnf" /etc/mysql/mariadb.conf.d/90-chatlab.cnf 644 root:root && db_changed=1
      install_dir /run/mysqld 755 mysql:mysql
      install_dir /var/log/mysql 750 mysql:adm
      if [ ! -d /var/lib/mysql/mysql ]; then
        install_dir /var/lib/mysql 755 mysql:mysql
        mariadb-install-db --user=mysql --datadir=/var/lib/mysql --skip-test-db >/dev/null
        log "initialised /var/lib/mysql"
        CHANGES=$((CHANGES + 1))
      fi
      run_service mariadb mariadb.service "$db_changed" -- mariadbd --user=mysql
      deadline=$((SECONDS + 60))
      until mariadb-admin --protocol=socket ping >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || die "MariaDB did not answer on its socket within 60 s"
        sleep 0.2
      done
      if [ -z "$(mariadb -N -e "SELECT 1 FROM mysql.global_priv WHERE User='prosody' AND Host='localhost'")" ]; then
        mariadb <"$HERE/mariadb-setup.sql"
        log "created database $DATABASE and its unix_socket user"
        CHANGES=$((CHANGES + 1))
      fi

      changed=0
      install_file "$HERE/prosody.cfg.lua" /etc/prosody/prosody.cfg.lua 640 root:prosody && changed=1
      install_file "$SECRETS/$DOMAIN.crt" "/etc/prosody/certs/$DOMAIN.crt" 644 root:prosody && changed=1
      install_file "$SECRETS/$DOMAIN.key" "/etc/prosody/certs/$DOMAIN.key" 640 root:prosody && changed=1
      install_dir /run/prosody 755 prosody:prosody
      install_dir /var/log/prosody 750 prosody:adm
      install_dir /var/lib/prosody 750 prosody:prosody

      # Accounts go straight into SQL; prosodyctl does not need the server running.
      existing=$(mariadb -N "$DATABASE" -e "SELECT DISTINCT user FROM prosody WHERE host='$DOMAIN' AND store='accounts'" 2>/dev/null || true)
      for user in $ACCOUNTS; do
        grep -qx "$user" <<<"$existing" && continue
        setpriv --reuid=prosody --regid=prosody --init-groups \\
          prosodyctl register "$user" "$DOMAIN" "$(cat "$SECRETS/accounts/$user@$DOMAIN")" >/dev/null
        log "registered $user@$DOMAIN"
        CHANGES=$((CHANGES + 1))
      done

      run_service prosody prosody.service "$changed" -- \\
        setpriv --reuid=prosody --regid=prosody --init-groups prosody -F
      wait_tcp "$ADDRESS" "$C2S_PORT" 60 || die "Prosody is not listening on $ADDRESS:$C2S_PORT"
      finish
    `),
  ];
}

// ejabberd's storage, as the model chooses it: the db host's MariaDB over TLS (the settings, and
// the provisioning steps that install the secret and load the schema once), or Mnesia.
import type { Lab } from '../model.ts';
import { dedent } from './file.ts';
import { SQL_DATABASE, SQL_PASSWORD_SECRET, SQL_USER } from './db.ts';
import { EJABBERD_LAB_CA as LAB_CA } from './federation.ts';

const SQL_SECRET_YML = '/etc/ejabberd/sql-password.yml';
/** The mariadb client's own settings (host, account, CA): root only, for loading the schema. */
const SQL_CLIENT_CNF = '/etc/ejabberd/sql-client.cnf';
const SQL_SCHEMA = '/usr/share/ejabberd/sql/mysql.sql';

/** ejabberd's storage: the lab's db host over TLS verified against the lab CA, or Mnesia. */
export function storageConfig(lab: Lab): string {
  if (!lab.db) {
    return dedent`
      # Mnesia on every node (storage: mnesia in the model): offline messages stored on one node
      # while another pops them for a login are lost (mod_offline_mnesia deletes the whole key).
      auth_method: internal
    `;
  }
  return dedent`
    # Users, rosters, offline messages, archives and rooms in the db host's MariaDB; Mnesia keeps
    # only the cluster's own state (sessions, routes). The password is a lab secret, installed by
    # provisioning beside this file: nothing secret is committed.
    default_db: sql
    auth_method: sql
    sql_type: mysql
    sql_server: ${lab.db.fqdn}
    sql_port: ${lab.spec.ports.sql}
    sql_database: ${SQL_DATABASE}
    sql_username: ${SQL_USER}
    sql_ssl: true
    sql_ssl_verify: true
    sql_ssl_cafile: ${LAB_CA}
    include_config_file: ${SQL_SECRET_YML}
    # A lost database connection is tried again every 2 s, not 30: the lab's outages are short.
    sql_start_interval: 2
  `;
}

/** With SQL storage: the secret in place, and (seed node) the schema loaded once. */
export function sqlSteps(lab: Lab): string {
  if (!lab.db) return '';
  return dedent`
    # printf is a builtin: the password never appears in a process's arguments.
    sql_password=$(cat "$SECRETS/${SQL_PASSWORD_SECRET}")
    tmp=$(mktemp)
    printf 'sql_password: "%s"\\n' "$sql_password" >"$tmp"
    install_file "$tmp" ${SQL_SECRET_YML} 640 root:ejabberd && changed=1
    printf '[client]\\nhost=%s\\nport=%s\\nuser=%s\\npassword=%s\\nssl-ca=%s\\nssl-verify-server-cert\\n' \\
      "$SQL_HOST" "$SQL_PORT" ${SQL_USER} "$sql_password" ${LAB_CA} >"$tmp"
    install_file "$tmp" ${SQL_CLIENT_CNF} 600 root:root || true
    rm -f "$tmp"
    if [ "$NODE" = "$SEED_NODE" ]; then
      # The db host may still be booting (any start order works): a bounded wait for it.
      sql() { mariadb --defaults-extra-file=${SQL_CLIENT_CNF} ${SQL_DATABASE} "$@"; }
      deadline=$((SECONDS + JOIN_TIMEOUT))
      until sql -e 'SELECT 1' >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || die "the database on $SQL_HOST did not answer within $JOIN_TIMEOUT s"
        sleep 1
      done
      if [ "$(sql -N -e "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema='${SQL_DATABASE}'")" = 0 ]; then
        sql <${SQL_SCHEMA}
        log "loaded ejabberd's schema into ${SQL_DATABASE} on $SQL_HOST"
        CHANGES=$((CHANGES + 1))
      fi
    fi
  `;
}

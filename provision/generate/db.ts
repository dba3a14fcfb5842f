// The db host: the MariaDB that ejabberd keeps its data in, on the lab network. Every connection
// is TLS with the lab's certificate (require_secure_transport), its firewall and its accounts admit
// the ejabberd nodes' addresses only, and the password is a secret of the lab, never committed.
import type { Lab } from '../model.ts';
import { dedent, generated, type GeneratedFile } from './file.ts';
import { roleScript } from './script.ts';
import { mariadbConfig } from './mariadb.ts';
import { nftTable } from './firewall.ts';
import { ROLE_PACKAGES } from '../roles.ts';

export const SQL_DATABASE = 'ejabberd';
export const SQL_USER = 'ejabberd';
/** In the secrets directory: the password of ejabberd's database account. */
export const SQL_PASSWORD_SECRET = 'sql/ejabberd.password';
const CERT_DIR = '/etc/mysql/certs';

/** Port 3306 for the ejabberd nodes only: no other host of the lab reaches the database. */
export const dbFirewall = (lab: Lab) => nftTable([{ port: lab.spec.ports.sql, from: lab.ejabberd.map((n) => n.host.address) }]);

export function generateDb(lab: Lab): GeneratedFile[] {
  const db = lab.db;
  if (!db) return [];
  return [
    generated('db/mariadb.cnf', '#', 'db', mariadbConfig(lab, dedent`
      bind-address = ${db.address}
      port = ${lab.spec.ports.sql}
      skip-name-resolve
      # ejabberd's password and every message cross the lab network: TLS or no connection at all.
      require_secure_transport = ON
      ssl_cert = ${CERT_DIR}/${db.fqdn}.crt
      ssl_key = ${CERT_DIR}/${db.fqdn}.key
      # A confirmed message is a committed row: written to disk before ejabberd answers, so that a
      # power-off of this host loses nothing rsxcc reported as stored.
      innodb_flush_log_at_trx_commit = 1
    `)),
    generated('db/chatlab.nft', '#', 'db', dbFirewall(lab)),
    roleScript(lab, 'db', 'db', {
      DATABASE: SQL_DATABASE,
      SQL_USER,
      CERT: `${CERT_DIR}/${db.fqdn}`,
      FQDN: db.fqdn,
      ADDRESS: db.address,
      SQL_PORT: lab.spec.ports.sql,
      CLIENTS: lab.ejabberd.map((n) => n.host.address).join(' '),
    }, [START_STEPS, ACCOUNT_STEPS].join('\n')),
  ];
}

/** The secrets and the firewall in place, MariaDB (re)started, ejabberd's database made once. */
const START_STEPS = dedent`
  ensure_packages ${ROLE_PACKAGES.db.join(' ')}
  install_names "$ROOT/lab"
  PASSWORD=$(cat "$SECRETS/${SQL_PASSWORD_SECRET}")

  changed=0
  load_firewall "$HERE/chatlab.nft" /etc/mysql/chatlab.nft mariadb.service && changed=1
  install_file "$SECRETS/$FQDN.crt" "$CERT.crt" 644 root:root && changed=1
  install_file "$SECRETS/$FQDN.key" "$CERT.key" 640 root:mysql && changed=1
  start_mariadb "$HERE/mariadb.cnf" "$changed"

  if [ -z "$(mariadb -N -e "SHOW DATABASES LIKE '$DATABASE'")" ]; then
    mariadb -e "CREATE DATABASE $DATABASE CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
    log "created database $DATABASE"
    CHANGES=$((CHANGES + 1))
  fi`;

const ACCOUNT_STEPS = dedent`
  # One account per ejabberd node address, TLS required; the password from the lab's secrets
  # (letters and digits only, so it is safe inside the SQL text), given on stdin, never argv.
  for client in $CLIENTS; do
    known=$(mariadb -N <<<"SELECT COUNT(*) FROM mysql.user WHERE User='$SQL_USER' AND Host='$client' AND authentication_string=PASSWORD('$PASSWORD') AND ssl_type='ANY'")
    [ "$known" = 1 ] && continue
    mariadb <<<"CREATE OR REPLACE USER '$SQL_USER'@'$client' IDENTIFIED BY '$PASSWORD' REQUIRE SSL; GRANT ALL PRIVILEGES ON $DATABASE.* TO '$SQL_USER'@'$client'"
    log "database account $SQL_USER@$client"
    CHANGES=$((CHANGES + 1))
  done
  wait_tcp "$ADDRESS" "$SQL_PORT" 60 || die "MariaDB is not listening on $ADDRESS:$SQL_PORT"
  finish
`;

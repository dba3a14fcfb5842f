// The MariaDB server settings both of the lab's databases share (Prosody's on its own host, the db
// host's for ejabberd); each role adds what is its own.
import type { Lab } from '../model.ts';
import { dedent } from './file.ts';

export function mariadbConfig(lab: Lab, own: string): string {
  return dedent`
    [mysqld]
    socket = /run/mysqld/mysqld.sock
    pid-file = /run/mysqld/mysqld.pid
    # A directory of this host's own: a starting mariadbd deletes every #sql* file in its tmpdir,
    # and namespace hosts share /tmp, so one host's start broke the other's mariadb-install-db
    # ("Unknown table 'mysql.tmp_user_sys'") on a wiped lab.
    tmpdir = /run/mysqld
    character-set-server = utf8mb4
    collation-server = utf8mb4_unicode_ci
    innodb_buffer_pool_size = 128M
    max_connections = 100
    open_files_limit = ${lab.spec.limits.openFiles}
    ` + `\n${own}`;
}

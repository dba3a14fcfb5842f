// The MariaDB server settings both of the lab's databases share (Prosody's on its own host, the db
// host's for ejabberd); each role adds what is its own.
import type { Lab } from '../model.ts';
import { dedent } from './file.ts';

export function mariadbConfig(lab: Lab, own: string): string {
  return dedent`
    [mysqld]
    socket = /run/mysqld/mysqld.sock
    pid-file = /run/mysqld/mysqld.pid
    character-set-server = utf8mb4
    collation-server = utf8mb4_unicode_ci
    innodb_buffer_pool_size = 128M
    max_connections = 100
    open_files_limit = ${lab.spec.limits.openFiles}
    ` + `\n${own}`;
}

// A host's nftables table: everything accepted except the ports it names, each open to its sources
// only. Replaced whole on every load (`delete table` of one just declared never fails).
import { dedent } from './file.ts';

export interface Guard {
  port: number;
  /** Addresses allowed to connect; every other source gets a TCP reset. */
  from: string[];
}

export function nftTable(guards: Guard[]): string {
  const rules = guards.flatMap(({ port, from }) => [
    `    tcp dport ${port} ip saddr ${from.length === 1 ? from[0] : `{ ${from.join(', ')} }`} accept`,
    `    tcp dport ${port} reject with tcp reset`,
  ]);
  return dedent`
    table inet chatlab
    delete table inet chatlab
    table inet chatlab {
      chain input {
        type filter hook input priority filter; policy accept;
        iifname "lo" accept
    ` + `${rules.join('\n')}\n  }\n}\n`;
}

// Name service as files: every host's /etc/hosts block and the resolver the namespace hosts use.
import type { Lab } from '../model.ts';
import { dedent, generated, type GeneratedFile } from './file.ts';

export function hostsBlock(lab: Lab): string {
  const rows = [
    [lab.workstationAddress, `workstation.${lab.spec.hostLabel}.${lab.spec.zone}`, 'workstation'],
    ...lab.hosts.map((h) => [h.address, h.fqdn, h.name]),
  ];
  return rows.map((r) => r.join(' ')).join('\n');
}

export function generateNames(lab: Lab): GeneratedFile[] {
  return [
    generated('lab/hosts', '#', 'names', hostsBlock(lab)),
    generated('lab/resolv.conf', '#', 'names', dedent`
      nameserver ${lab.dnsServer.address}
      search ${lab.spec.hostLabel}.${lab.spec.zone}
      options timeout:1 attempts:2
    `),
  ];
}

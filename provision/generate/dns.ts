// bind9 on the haproxy host: authoritative for the lab zone, no recursion, lab subnet only.
import { createHash } from 'node:crypto';
import type { Lab } from '../model.ts';
import { dedent, generated, type GeneratedFile } from './file.ts';
import { mucService, serviceHost } from '../model.ts';

const fq = (name: string) => `${name}.`;

export function zoneRecords(lab: Lab): string[][] {
  const { spec } = lab;
  const records: string[][] = [[fq(spec.zone), 'NS', fq(lab.dnsServer.fqdn)]];
  records.push([fq(`workstation.${spec.hostLabel}.${spec.zone}`), 'A', lab.workstationAddress]);
  for (const host of lab.hosts) records.push([fq(host.fqdn), 'A', host.address]);
  for (const domain of [spec.domains.prosody, spec.domains.ejabberd]) {
    const target = serviceHost(lab, domain);
    // The domain's own A record is the fallback for clients that do not ask for SRV.
    records.push([fq(domain), 'A', target.address]);
    records.push([fq(`_xmpp-client._tcp.${domain}`), 'SRV', `0 5 ${spec.ports.c2s} ${fq(target.fqdn)}`]);
    // Federation: a peer server looks up the domain and, to reach a room, its MUC service.
    for (const name of [domain, mucService(domain)]) {
      records.push([fq(`_xmpp-server._tcp.${name}`), 'SRV', `0 5 ${spec.ports.s2s} ${fq(target.fqdn)}`]);
    }
    records.push([fq(mucService(domain)), 'A', target.address]);
  }
  return records;
}

export function zoneFile(lab: Lab): string {
  const body = zoneRecords(lab).map(([name, type, data]) => `${name!.padEnd(40)} IN ${type!.padEnd(4)} ${data}`).join('\n');
  // Serial from the records themselves: stable for unchanged data, new whenever a record changes.
  const serial = parseInt(createHash('sha256').update(body).digest('hex').slice(0, 7), 16);
  return dedent`
    $TTL 300
    ${fq(lab.spec.zone)} IN SOA ${fq(lab.dnsServer.fqdn)} ${fq(`hostmaster.${lab.spec.zone}`)} ${serial} 3600 600 86400 300
    ` + body;
}

export const zonePath = (lab: Lab) => `/etc/bind/db.${lab.spec.zone}`;

export function generateDns(lab: Lab): GeneratedFile[] {
  const dns = lab.dnsServer;
  return [
    generated('haproxy/named.conf.options', '//', 'dns', dedent`
      options {
        directory "/var/cache/bind";
        pid-file "/run/named/named.pid";
        listen-on port ${lab.spec.ports.dns} { ${dns.address}; 127.0.0.1; };
        listen-on-v6 { none; };
        // Authoritative for the lab only: never a resolver that could send queries off the machine.
        recursion no;
        allow-query { ${lab.networkAddress}/${lab.prefixLength}; 127.0.0.0/8; };
        allow-transfer { none; };
        notify no;
        dnssec-validation no;
      };
      // No rndc control channel: the provisioning script restarts named when the zone changes.
      controls { };
    `),
    generated('haproxy/named.conf.local', '//', 'dns', dedent`
      zone "${lab.spec.zone}" {
        type primary;
        file "${zonePath(lab)}";
      };
    `),
    generated(`haproxy/db.${lab.spec.zone}`, ';', 'dns', zoneFile(lab)),
  ];
}

// Federation between the lab's two domains: each server's s2s settings, from one policy so that
// both sides agree. TLS is required on every s2s stream and certificates are verified against the
// lab CA; servers authenticate with SASL EXTERNAL on those certificates (XEP-0178), and with
// dialback (XEP-0220) only where the model names it as the fallback.
import type { Lab } from '../model.ts';
import { dedent } from './file.ts';

export const EJABBERD_LAB_CA = '/etc/ejabberd/certs/lab-ca.crt';
export const PROSODY_LAB_CA = '/etc/prosody/certs/lab-ca.crt';

/** ejabberd.yml: the s2s policy (top level). The listener is in ejabberdS2sListener. */
export function ejabberdS2s(lab: Lab): string {
  return dedent`
    # Federation: STARTTLS required, the peer's certificate checked against the lab CA (also what
    # ejabberd checks its own certificate against at start). ${lab.spec.federation.dialback
      ? 'Dialback is loaded as the fallback\n# (mod_s2s_dialback).'
      : 'Without mod_s2s_dialback a peer must\n# authenticate with SASL EXTERNAL, and outgoing streams verify the peer.'}
    ca_file: ${EJABBERD_LAB_CA}
    s2s_use_starttls: required
    s2s_access: s2s
  `;
}

/** The ejabberd node's s2s listener, as lines of the \`listen:\` list. */
export function ejabberdS2sListener(lab: Lab): string[] {
  return [
    `  - port: ${lab.spec.ports.s2s}`,
    '    ip: "0.0.0.0"',
    '    module: ejabberd_s2s_in',
    '    max_stanza_size: 1048576',
    '    # Only HAProxy connects here (firewall), with a PROXY v2 header: logs show the real peer.',
    '    use_proxy_protocol: true',
  ];
}

/** Lines of the \`modules:\` map. */
export const ejabberdS2sModules = (lab: Lab): string[] => (lab.spec.federation.dialback ? ['  mod_s2s_dialback: {}'] : []);

/** prosody.cfg.lua: the global s2s settings; each host's ssl block names the CA peers are verified with. */
export function prosodyS2s(lab: Lab): string {
  return dedent`
    -- Federation: encrypted, and a peer is let in only with a certificate the lab CA signed for
    -- its name (SASL EXTERNAL${lab.spec.federation.dialback ? ', or dialback over such a stream' : ''}).
    s2s_ports = { ${lab.spec.ports.s2s} }
    s2s_interfaces = { "${lab.prosody.address}" }
    s2s_require_encryption = true
    s2s_secure_auth = true
  `;
}

export const prosodyS2sModules = (lab: Lab): string[] => (lab.spec.federation.dialback ? ['dialback'] : []);

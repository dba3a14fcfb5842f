// The ejabberd cluster: one ejabberd.yml for every node, an ejabberdctl.cfg per node, and a
// provisioning script with which any node, started in any order, ends up in the cluster.
import type { EjabberdNode, Lab } from '../model.ts';
import { dedent, generated, indent, type GeneratedFile } from './file.ts';
import { roleScript, type ShellVars } from './script.ts';
import { nftTable } from './firewall.ts';
import { ROLE_PACKAGES } from '../roles.ts';
import { sqlSteps, storageConfig } from './ejabberd-sql.ts';
import { EJABBERD_LAB_CA, ejabberdS2s, ejabberdS2sListener, ejabberdS2sModules } from './federation.ts';
import { ejabberdMucModules, ejabberdRoomSteps } from './rooms.ts';

export const certPath = (domain: string) => `/etc/ejabberd/certs/${domain}.pem`;

/** ejabberd.yml, section by section, a blank line between them. */
export function ejabberdConfig(lab: Lab): string {
  return [hostSection(lab), listenSection(lab), clusterSection(lab), ejabberdS2s(lab), storageConfig(lab), accessSection(lab), moduleSection(lab)].join('\n');
}

function hostSection(lab: Lab): string {
  return dedent`
    hosts:
      - ${lab.spec.domains.ejabberd}

    # Production level: info writes lines per connection and login, disk I/O on every session.
    loglevel: warning
    log_rotate_size: 10485760
    log_rotate_count: 2

    certfiles:
      - ${certPath(lab.spec.domains.ejabberd)}
  `;
}

/** A client listener, as lines of the \`listen:\` list. */
function c2sListener(port: number, proxied: boolean): string[] {
  return [
    `  - port: ${port}`,
    '    ip: "0.0.0.0"',
    '    module: ejabberd_c2s',
    '    starttls_required: true',
    '    max_stanza_size: 1048576',
    '    shaper: c2s_shaper',
    '    access: c2s',
    ...(proxied ? ['    # Only HAProxy connects here; it prepends a PROXY v2 header.', '    use_proxy_protocol: true'] : []),
  ];
}

function listenSection(lab: Lab): string {
  const { ports } = lab.spec;
  return dedent`
    # Direct client port (tests reach a chosen node here), the port behind HAProxy, and s2s.
    listen:
    ${[...c2sListener(ports.c2s, false), ...c2sListener(ports.c2sProxied, true), ...ejabberdS2sListener(lab)].join('\n')}
  `;
}

function clusterSection(lab: Lab): string {
  return dedent`
    # ejabberd sets the Erlang tick time itself (default 1 minute, overriding -kernel net_ticktime):
    # the lab wants a pulled cable noticed in seconds. Must be the same on every node.
    net_ticktime: ${lab.spec.erlang.netTicktime} seconds

    # Per-user caches (auth, roster, privacy, ...) sized for the lab's sessions: at the default of
    # 1,000 a load run logs "Shrinking cache" every second and goes back to Mnesia for each user.
    cache_size: ${lab.spec.limits.maxSessions}
  `;
}

/** Authentication, who may do what, and the traffic shapers. */
function accessSection(lab: Lab): string {
  return dedent`
    # SCRAM: the server stores salted hashes, never the password.
    auth_password_format: scram

    acl:
      local:
        user_regexp: ""

    access_rules:
      local:
        allow: local
      c2s:
        allow: all
      s2s:
        allow: all

    shaper:
      # Per session: 500 kB/s is ~1,000 times what a chatting user sends, yet lets one bench or
      # proof sender drive 500 messages/s; only a flood beyond that is slowed. (50 kB/s made the
      # bench's 500 msg/s sender fall two thirds behind.) The burst lets one stanza of
      # max_stanza_size through at once.
      c2s_rate:
        rate: 500000
        burst_size: 1048576

    shaper_rules:
      max_user_sessions: 10
      max_user_offline_messages: ${lab.spec.limits.offlinePerUser}
      c2s_shaper: c2s_rate
  `;
}

function moduleSection(lab: Lab): string {
  return dedent`
    modules:
      mod_disco: {}
      mod_roster: {}
      mod_ping: {}
      mod_offline:
        access_max_user_messages: max_user_offline_messages
      mod_stream_mgmt:
        # When a session ends, its unacknowledged messages are routed again (to the user's other
        # session, or offline storage): if_offline and false bounce them to the sender as errors
        # whenever the user has another session at that moment (the next rsxcc run already in).
        resend_on_timeout: true
        # Past this queue length ejabberd ends the stream and bounces everything unacknowledged
        # (mgmt_resend false), whatever resend_on_timeout says: no bound, so never. What bounds
        # the queue is ack_timeout: a client that stops answering <r/> for 60 s is disconnected
        # and its queue routed again.
        max_ack_queue: infinity
        ack_timeout: 60
      # Upstream's shipped default: clients opt in (XEP-0313 prefs), nothing archived otherwise.
      # Under Mnesia the archive is a replicated DETS file (2 GB at most) and each archived message
      # a cross-node disc transaction; see README, Capacity.
      mod_mam:
        default: never
    ${[...ejabberdMucModules(), ...ejabberdS2sModules(lab)].join('\n')}
  `;
}

export function ejabberdctlConfig(lab: Lab, node: EjabberdNode): string {
  const tuple = `{${node.host.address.split('.').join(',')}}`;
  return dedent`
    ERLANG_NODE=${node.erlangNode}
    # A fixed distribution port instead of epmd; the interface as an Erlang tuple, since
    # INET_DIST_INTERFACE makes every ejabberdctl call start one more Erlang VM to parse it.
    ERL_DIST_PORT=${lab.spec.ports.erlangDist}
    # The tick time from boot, equal to ejabberd.yml's net_ticktime: changing it at run time
    # only takes effect after a transition period of the old value (a minute).
    ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0 -kernel net_ticktime ${lab.spec.erlang.netTicktime} -kernel inet_dist_use_interface ${tuple}"
    ERL_MAX_PORTS=${lab.spec.limits.openFiles}
    EJABBERD_CONFIG_PATH=/etc/ejabberd/ejabberd.yml
    CONTRIB_MODULES_CONF_DIR=/etc/ejabberd/modules.d
    SPOOL_DIR=/var/lib/ejabberd
    LOGS_DIR=/var/log/ejabberd
    EJABBERD_PID_PATH=/run/ejabberd/ejabberd.pid
    EJABBERD_BYPASS_WARNINGS=true
  `;
}

/**
 * Only the cluster may reach the Erlang distribution port (whoever gets in there with the cookie
 * runs code on the node), and only HAProxy the PROXY-protocol port (anyone else could claim any
 * client address), and the s2s port likewise. Loaded in the host's own network namespace, or the VM's.
 */
export function firewall(lab: Lab): string {
  const { ports } = lab.spec;
  return nftTable([
    { port: ports.erlangDist, from: lab.ejabberd.map((n) => n.host.address) },
    { port: ports.c2sProxied, from: [lab.haproxy.address] },
    { port: ports.s2s, from: [lab.haproxy.address] },
  ]);
}

export function generateEjabberd(lab: Lab): GeneratedFile[] {
  return [
    generated('ejabberd/ejabberd.yml', '#', 'ejabberd', ejabberdConfig(lab)),
    generated('ejabberd/chatlab.nft', '#', 'ejabberd', firewall(lab)),
    generated('ejabberd/inetrc', '%', 'ejabberd', dedent`
      {lookup, [file, dns]}.
      {file, hosts, "/etc/hosts"}.
      {file, resolv, "/etc/resolv.conf"}.
    `),
    ...lab.ejabberd.map((node) =>
      generated(`ejabberd/${node.host.name}/ejabberdctl.cfg`, '#', 'ejabberd', ejabberdctlConfig(lab, node)),
    ),
    roleScript(lab, 'ejabberd', 'ejabberd', scriptVars(lab), dedent`
      [ -f "$HERE/$ROLE_HOST/ejabberdctl.cfg" ] || die "no ejabberd node named $ROLE_HOST in this lab"
      ensure_packages ${ROLE_PACKAGES.ejabberd.join(' ')}
      install_names "$ROOT/lab"
      NODE=$(sed -n 's/^ERLANG_NODE=//p' "$HERE/$ROLE_HOST/ejabberdctl.cfg")
      ADDRESS=$(awk -v h="$ROLE_HOST" '$3 == h { print $1 }' "$ROOT/lab/hosts")

      ${installAndStart(lab)}

      ctl() { ejabberdctl "$@"; }
      if [ "$NODE" = "$SEED_NODE" ]; then
      ${indent(REGISTER_ACCOUNTS, '  ')}
      elif ! ctl list_cluster | grep -qF "$SEED_NODE"; then
      ${indent(JOIN_SEED, '  ')}
      fi
      ${ejabberdRoomSteps(lab)}
      finish
    `),
  ];
}

function scriptVars(lab: Lab): ShellVars {
  const { spec } = lab;
  return {
    DOMAIN: spec.domains.ejabberd,
    C2S_PORT: spec.ports.c2s,
    SEED_NODE: lab.ejabberd[0]!.erlangNode,
    ACCOUNTS: spec.accounts.join(' '),
    JOIN_TIMEOUT: 600,
    ...(lab.db && { SQL_HOST: lab.db.fqdn, SQL_PORT: spec.ports.sql }),
  };
}

/** The node's files, secrets and firewall in place, then ejabberd (re)started if any changed. */
function installAndStart(lab: Lab): string {
  return dedent`
    changed=0
    install_file "$HERE/ejabberd.yml" /etc/ejabberd/ejabberd.yml 640 root:ejabberd && changed=1
    install_file "$HERE/$ROLE_HOST/ejabberdctl.cfg" /etc/ejabberd/ejabberdctl.cfg 640 root:ejabberd && changed=1
    install_file "$HERE/inetrc" /etc/ejabberd/inetrc 644 root:root && changed=1
    install_file "$SECRETS/$DOMAIN.pem" "/etc/ejabberd/certs/$DOMAIN.pem" 640 root:ejabberd && changed=1
    install_file "$SECRETS/ca.crt" ${EJABBERD_LAB_CA} 644 root:ejabberd && changed=1
    # One random cookie for the whole lab, made once on the workstation: no copying between nodes.
    install_file "$SECRETS/erlang.cookie" /var/lib/ejabberd/.erlang.cookie 400 ejabberd:ejabberd && changed=1
    install_dir /var/lib/ejabberd 700 ejabberd:ejabberd
    load_firewall "$HERE/chatlab.nft" /etc/ejabberd/chatlab.nft ejabberd.service && changed=1
    ${sqlSteps(lab)}
    install_dir /var/log/ejabberd 750 ejabberd:ejabberd
    install_dir /run/ejabberd 755 ejabberd:ejabberd
    run_service ejabberd ejabberd.service "$changed" -- \\
      setpriv --reuid=ejabberd --regid=ejabberd --init-groups \\
      env HOME=/var/lib/ejabberd /usr/sbin/ejabberdctl foreground
    wait_tcp "$ADDRESS" "$C2S_PORT" 120 || die "ejabberd is not listening on $ADDRESS:$C2S_PORT"`;
}

/** On the seed node. */
const REGISTER_ACCOUNTS = dedent`
  # Accounts live in the replicated database: the seed creates them once for every node.
  registered=$(ctl registered_users "$DOMAIN")
  # Side by side: each ejabberdctl call starts an Erlang VM of its own (~0.9 s), the longest
  # step of a wiped \`chatlab up\` when run one after the other.
  pending=()
  for user in $ACCOUNTS; do
    grep -qx "$user" <<<"$registered" && continue
    ctl register "$user" "$DOMAIN" "$(cat "$SECRETS/accounts/$user@$DOMAIN")" >/dev/null &
    pending+=("$!:$user")
  done
  for job in "\${pending[@]}"; do
    wait "\${job%%:*}" || die "registering \${job#*:}@$DOMAIN failed"
    log "registered \${job#*:}@$DOMAIN"
    CHANGES=$((CHANGES + 1))
  done`;

/** On any other node that is not in the cluster yet. */
const JOIN_SEED = dedent`
  # Any start order works: a joining node waits for the seed, then joins by itself.
  deadline=$((SECONDS + JOIN_TIMEOUT))
  until ctl --node "$SEED_NODE" status >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || die "seed node $SEED_NODE did not come up within $JOIN_TIMEOUT s"
    sleep 1
  done
  # join_cluster can fail, or time out while the join goes on, when the seed has only just
  # started (CI saw exit 3 with nothing said): try again, bounded, after giving a join
  # still under way the time to show.
  out=''
  until ctl list_cluster 2>/dev/null | grep -qF "$SEED_NODE"; do
    [ $SECONDS -lt $deadline ] || die "could not join $SEED_NODE within $JOIN_TIMEOUT s: $out"
    out=$(ctl join_cluster "$SEED_NODE" 2>&1) && continue
    log "join_cluster $SEED_NODE: \${out:-exit $?}; checking again"
    for _ in 1 2 3 4 5; do
      ctl list_cluster 2>/dev/null | grep -qF "$SEED_NODE" && break
      sleep 2
    done
  done
  log "joined the cluster of $SEED_NODE"
  CHANGES=$((CHANGES + 1))`;

#!/usr/bin/env bash
# Smoke test of the Vagrant lab, run from this machine over the lab's private network (the CI
# stage calls it after `vagrant up`): rsxcc alice -> bob through HAProxy and on Prosody, then bob's
# unread (ejabberd's stored on the db VM); ejabberd's firewall is reloaded whenever ejabberd
# starts; every ejabberd node sees the whole cluster; client and server SRV answers from the lab
# DNS; federation both ways between the Prosody VM and the ejabberd cluster.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

secrets=.chatlab/secrets
status=$(node dist/chatlab.js status -o json 2>/dev/null || true)
# The model, not the namespace lab, says where things are: read it from the generated hosts file.
addr() { awk -v h="$1" '$3 == h { print $1 }' lab/hosts; }
dns=$(addr haproxy)
fail() { echo "smoke: FAILED: $*" >&2; exit 1; }
[ -n "$dns" ] || fail "no haproxy address in lab/hosts"
[ -z "$status" ] || ! grep -q '"up":true' <<<"$status" || fail "the namespace lab is up: it would answer instead of the VMs"

declare -A server=([prosody.chat.test]=$(addr prosody) [ejabberd.chat.test]=$(addr haproxy))
for domain in prosody.chat.test ejabberd.chat.test; do
  body="vagrant smoke $(date -u +%s%N)"
  node dist/rsxcc.js -T 20 -j "alice@$domain" -P "$secrets/accounts/alice@$domain" -a "$secrets/ca.crt" \
    -x "${server[$domain]}" -t "bob@$domain" -m "$body" || fail "send on $domain"
  if [ "$domain" = ejabberd.chat.test ]; then
    # ejabberd keeps offline messages in the db VM's MariaDB, not in Mnesia.
    stored=$(vagrant ssh db -c "sudo mariadb -N ejabberd -e \"SELECT COUNT(*) FROM spool WHERE username='bob'\"" 2>/dev/null | tr -d '\r')
    [ "${stored:-0}" -ge 1 ] || fail "the message to bob@$domain is not in the db host's spool table"
    echo "smoke: $domain: stored on the db host ($stored in bob's spool)"
  fi
  got=$(node dist/rsxcc.js -T 20 -j "bob@$domain" -P "$secrets/accounts/bob@$domain" -a "$secrets/ca.crt" -x "${server[$domain]}" -s -o json)
  grep -qF "\"body\":\"$body\"" <<<"$got" || fail "bob's unread on $domain lacks the message: $got"
  echo "smoke: $domain: sent via ${server[$domain]} and read back as unread"
done

# Across federation rsxcc exits 0 only once the remote domain answered a ping behind the message:
# the remote server has it. Then the remote bob reads it.
for pair in "prosody.chat.test ejabberd.chat.test" "ejabberd.chat.test prosody.chat.test"; do
  read -r from to <<<"$pair"
  body="vagrant federation $(date -u +%s%N)"
  node dist/rsxcc.js -T 30 -j "alice@$from" -P "$secrets/accounts/alice@$from" -a "$secrets/ca.crt" \
    -x "${server[$from]}" -t "bob@$to" -m "$body" || fail "send from alice@$from to bob@$to (status $?)"
  got=$(node dist/rsxcc.js -T 20 -j "bob@$to" -P "$secrets/accounts/bob@$to" -a "$secrets/ca.crt" -x "${server[$to]}" -s -o json)
  grep -qF "\"body\":\"$body\"" <<<"$got" || fail "bob@$to's unread lacks the message from alice@$from: $got"
  echo "smoke: federation $from -> $to: confirmed by the remote domain and read back there"
done

nodes=$(awk '$3 ~ /^ejabberd[0-9]+$/ { print $3 }' lab/hosts)
# As after a reboot: no rules in the kernel, ejabberd started by systemd alone, no provisioning.
# Before the cluster check, which then also proves the restarted node rejoined.
first=${nodes%%$'\n'*}
vagrant ssh "$first" -c 'sudo nft delete table inet chatlab && sudo systemctl restart ejabberd && sudo nft list table inet chatlab' >/dev/null 2>&1 ||
  fail "$first: the firewall is not loaded again when ejabberd starts"
echo "smoke: $first: firewall loaded again by a restart of ejabberd alone"
expected=$(for n in $nodes; do echo "ejabberd@$n.lab.chat.test"; done | sort | tr '\n' ' ')
for n in $nodes; do
  seen=$(vagrant ssh "$n" -c 'sudo ejabberdctl mnesia running_db_nodes' 2>/dev/null | tr -d "\r[]' " | tr ',' '\n' | sort | tr '\n' ' ')
  [ "$seen" = "$expected" ] || fail "$n sees cluster '$seen', expected '$expected'"
  echo "smoke: $n sees the whole cluster: $seen"
done

for domain in prosody.chat.test ejabberd.chat.test; do
  for service in _xmpp-client._tcp _xmpp-server._tcp; do
    srv=$(dig +short +time=2 +tries=2 @"$dns" SRV "$service.$domain")
    [ -n "$srv" ] || fail "no SRV answer for $service.$domain from $dns"
    echo "smoke: SRV $service.$domain -> $srv"
  done
done
echo "smoke: ok"

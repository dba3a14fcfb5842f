#!/usr/bin/env bash
# The main job (`npm run demo`): bring up the local lab, then alice sends bob a message on each
# server and bob reads it as unread, one message crosses federation, and one goes to a room,
# with rsxcc exactly as a user would type it.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "demo: the local lab needs root (network namespaces)" >&2; exit 77; }

npm run -s build
node dist/chatlab.js up

secrets=$PWD/.chatlab/secrets
ca=$secrets/ca.crt
declare -A server=([prosody.chat.test]=192.168.56.11 [ejabberd.chat.test]=192.168.56.10)
for domain in prosody.chat.test ejabberd.chat.test; do
  echo
  echo "== $domain: alice, on this machine, sends bob a message via ${server[$domain]} (-x)"
  ( set -x; node dist/rsxcc.js -j "alice@$domain" -P "$secrets/accounts/alice@$domain" -a "$ca" \
      -x "${server[$domain]}" -t "bob@$domain" -m "Hello bob, it is $(date -u +%H:%M:%S) on $domain" )
  echo "== bob, on the lab's client host, finds the server by SRV and shows his unread messages"
  ( set -x; node dist/chatlab.js exec client -- \
      node dist/rsxcc.js -j "bob@$domain" -P "$secrets/accounts/bob@$domain" -a "$ca" -s )
done
# rsxcc logged in as an account on its own server, the command shown as it runs.
as() {
  local who=$1
  shift
  local command=(node dist/rsxcc.js -j "$who" -P "$secrets/accounts/$who" -a "$ca" -x "${server[${who#*@}]}" "$@")
  echo "+ ${command[*]}" >&2
  "${command[@]}"
}
echo
echo "== federation: alice@prosody.chat.test sends bob@ejabberd.chat.test a message; exit 0 once ejabberd has it"
as alice@prosody.chat.test -t bob@ejabberd.chat.test -m "Hello bob, from the other domain"
as bob@ejabberd.chat.test -s
echo
echo "== a room: carol@prosody.chat.test says something in lab@conference.ejabberd.chat.test; exit 0 once the room relayed it"
as carol@prosody.chat.test -g lab@conference.ejabberd.chat.test/carol -m "Hello room, from the other domain"
echo "== the room's archive, as alice@ejabberd.chat.test reads it (its last five lines)"
as alice@ejabberd.chat.test -H lab@conference.ejabberd.chat.test | tail -n 5
echo
echo "The lab stays up: \`node dist/chatlab.js status\` shows it, \`node dist/chatlab.js down\` stops it."

# shellcheck shell=bash
# The shared half of every role's provisioning script (prosody/, ejabberd/, haproxy/ provision.sh
# source it). Everything here is idempotent: a second run on a provisioned host changes nothing and
# says so. The only difference between a VM and a namespace host is the supervisor: systemd where
# it is PID 1, plain background processes (pid files under /run/chatlab) where it is not.

set -euo pipefail
umask 022

CHANGES=0
ROLE_HOST=${CHATLAB_HOST:?CHATLAB_HOST (the lab host name) must be set}
# shellcheck disable=SC2034 # read by the role scripts that source this file
SECRETS=${CHATLAB_SECRETS:?CHATLAB_SECRETS (the lab secrets directory) must be set}

log() { printf '%s: %s\n' "$ROLE_HOST" "$*" >&2; }
die() { log "error: $*"; exit 1; }

have_systemd() { [ -d /run/systemd/system ]; }

# Installs what is missing; `apt-get update` only when something is. Without systemd, package
# scripts must not start daemons (policy-rc.d 101), since the lab runner starts them itself.
ensure_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null | grep -qx installed || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  local guard=0
  if ! have_systemd && [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    guard=1
  fi
  apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 || {
    [ $guard = 0 ] || rm -f /usr/sbin/policy-rc.d
    die "apt-get install ${missing[*]} failed"
  }
  [ $guard = 0 ] || rm -f /usr/sbin/policy-rc.d
  CHANGES=$((CHANGES + 1))
}

# install_file SRC DST MODE OWNER:GROUP: copies only when content, mode or owner differ.
# Returns 0 when it changed something, 1 when DST was already right.
install_file() {
  local src=$1 dst=$2 mode=$3 owner=$4
  if [ -f "$dst" ] && [ ! -L "$dst" ] && cmp -s "$src" "$dst" &&
    [ "$(stat -c '%a %U:%G' "$dst")" = "$mode $owner" ]; then
    return 1
  fi
  # install(1) unlinks DST first: a packaged symlink (ejabberdctl.cfg -> ../default/ejabberd)
  # becomes a file of this host's own instead of writing through to a shared target.
  install -D -m "$mode" -o "${owner%:*}" -g "${owner#*:}" "$src" "$dst"
  log "updated $dst"
  CHANGES=$((CHANGES + 1))
}

# install_dir DIR MODE OWNER:GROUP
install_dir() {
  local dir=$1 mode=$2 owner=$3
  if [ -d "$dir" ] && [ "$(stat -c '%a %U:%G' "$dir")" = "$mode $owner" ]; then return 0; fi
  install -d -m "$mode" -o "${owner%:*}" -g "${owner#*:}" "$dir"
  CHANGES=$((CHANGES + 1))
}

# The lab's names in a system file (/etc/hosts), between markers, replaced only if it differs.
# Other lines naming a lab host go: Vagrant's hostname step maps the host's own name to
# 127.0.1.1, and an Erlang node that resolves its own name there is unreachable by ejabberdctl.
install_block() {
  local src=$1 dst=$2 tmp names
  tmp=$(mktemp)
  names=$(awk '!/^#/ && NF { for (i = 2; i <= NF; i++) print $i }' "$src" | tr '\n' ' ')
  {
    [ -f "$dst" ] && awk -v names="$names" '
      BEGIN { n = split(names, list, " "); for (i = 1; i <= n; i++) lab[list[i]] = 1 }
      /^# BEGIN chatlab$/ { skip = 1 }
      skip { if (/^# END chatlab$/) skip = 0; next }
      { for (i = 2; i <= NF; i++) if ($i in lab) next; print }' "$dst"
    echo "# BEGIN chatlab"
    grep -v '^#' "$src"
    echo "# END chatlab"
  } >"$tmp"
  if [ -f "$dst" ] && cmp -s "$tmp" "$dst"; then rm -f "$tmp"; return 1; fi
  cat "$tmp" >"$dst"
  rm -f "$tmp"
  log "updated $dst"
  CHANGES=$((CHANGES + 1))
}

# install_names DIR: the lab's names on this host (DIR holds the generated hosts and resolv.conf):
# its /etc/hosts block and, in a VM, the lab's DNS server ahead of the one DHCP gives. The servers
# find each other's domains by SRV (federation); the lab's server answers the lab zone and refuses
# the rest, which the resolvers then ask the next server for. Namespace hosts need no more: `ip
# netns exec` gives them lab/resolv.conf itself.
install_names() {
  local dir=$1 dns first conf=/etc/dhcp/dhclient.conf tmp
  install_block "$dir/hosts" /etc/hosts || true
  have_systemd || return 0
  dns=$(awk '$1 == "nameserver" { print $2; exit }' "$dir/resolv.conf")
  # dhclient rewrites resolv.conf at every lease: it must put the lab's server first itself.
  if ! grep -qx "prepend domain-name-servers $dns;" "$conf" 2>/dev/null; then
    tmp=$(mktemp)
    { grep -v '^prepend domain-name-servers ' "$conf" 2>/dev/null || true; echo "prepend domain-name-servers $dns;"; } >"$tmp"
    install -D -m 644 "$tmp" "$conf"
    rm -f "$tmp"
    log "updated $conf"
    CHANGES=$((CHANGES + 1))
  fi
  first=$(awk '$1 == "nameserver" { print $2; exit }' /etc/resolv.conf 2>/dev/null || true)
  if [ "$first" != "$dns" ]; then
    tmp=$(mktemp)
    { echo "nameserver $dns"; grep -vx "nameserver $dns" /etc/resolv.conf 2>/dev/null || true; } >"$tmp"
    cat "$tmp" >/etc/resolv.conf
    rm -f "$tmp"
    log "updated /etc/resolv.conf: the lab's DNS server first"
    CHANGES=$((CHANGES + 1))
  fi
}

# wait_tcp HOST PORT SECONDS: bounded wait for a listener.
wait_tcp() {
  local host=$1 port=$2 deadline=$((SECONDS + $3))
  until (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; do
    [ $SECONDS -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# The recorded pid, if its process group still runs on this host: after a power-off the pid file
# stays and the number may since belong to a process of another host. The group, not the pid alone:
# run_service starts each daemon as a session leader, and the daemon proper may be its child
# (`ejabberdctl foreground` runs beam.smp without exec), alive after the leader is gone.
daemon_pid() {
  local pidfile=/run/chatlab/$1.pid pid member
  [ -f "$pidfile" ] || return 1
  pid=$(cat "$pidfile")
  for member in $(group_members "$pid"); do
    if [ "$(readlink "/proc/$member/ns/net")" = "$(readlink /proc/self/ns/net)" ]; then
      echo "$pid"
      return 0
    fi
  done
  return 1
}

# run_service NAME UNIT RESTART -- CMD...: make the service run; RESTART=1 when its config changed.
# With systemd: the package's unit. Without: CMD in its own session, pid in /run/chatlab/NAME.pid,
# output in /var/log/chatlab/NAME.log, open-file limit raised first (setpriv keeps rlimits,
# unlike su/runuser, whose PAM session would reset them to the login default of 1024).
run_service() {
  local name=$1 unit=$2 restart=$3 pid
  shift 4
  if have_systemd; then
    # The same open-file limit as in the namespace lab.
    systemd_dropin "$unit" chatlab-limits "LimitNOFILE=$OPEN_FILES" && restart=1
    systemctl enable -q "$unit"
    if [ "$restart" = 1 ] || ! systemctl -q is-active "$unit"; then
      systemctl restart "$unit"
      log "restarted $unit"
      CHANGES=$((CHANGES + 1))
    fi
    return 0
  fi
  if pid=$(daemon_pid "$name"); then
    [ "$restart" = 1 ] || return 0
    stop_daemon "$name" "$pid"
  fi
  install -d -m 755 /run/chatlab /var/log/chatlab
  raise_open_files
  setsid "$@" </dev/null >>"/var/log/chatlab/$name.log" 2>&1 &
  echo $! >"/run/chatlab/$name.pid"
  log "started $name (pid $!)"
  CHANGES=$((CHANGES + 1))
}

# systemd_dropin UNIT NAME LINE...: /etc/systemd/system/UNIT.d/NAME.conf, a [Service] section of
# LINEs. Returns 0 when it changed the drop-in (the caller restarts the unit), 1 when it was right.
systemd_dropin() {
  local unit=$1 name=$2 tmp changed=1
  shift 2
  tmp=$(mktemp)
  printf '[Service]\n' >"$tmp"
  printf '%s\n' "$@" >>"$tmp"
  if install_file "$tmp" "/etc/systemd/system/$unit.d/$name.conf" 644 root:root; then
    systemctl daemon-reload
    changed=0
  fi
  rm -f "$tmp"
  return $changed
}

# The model's open-file limit, or the hard limit where this machine caps it lower (a container);
# unprivileged in that respect even as root, so say so rather than fail.
raise_open_files() {
  local hard
  hard=$(ulimit -Hn)
  if [ "$hard" != unlimited ] && [ "$hard" -lt "$OPEN_FILES" ]; then
    log "open-file limit capped at $hard by this machine (model asks for $OPEN_FILES)"
    ulimit -n "$hard"
  else
    ulimit -n "$OPEN_FILES"
  fi
}

# The live members of process group PGID (a zombie holds no port and may wait long for its reaper).
group_members() {
  local member
  for member in $(pgrep -g "$1"); do
    [[ $(ps -o stat= -p "$member") == Z* ]] || echo "$member"
  done
}

# stop_daemon NAME PID: SIGTERM to the daemon's process group (see daemon_pid), a bounded wait
# until no member is left, then SIGKILL: a restart must not race the old process for its ports.
stop_daemon() {
  local name=$1 pid=$2 deadline=$((SECONDS + 20))
  kill -TERM -- "-$pid" 2>/dev/null || true
  while [ -n "$(group_members "$pid")" ]; do
    if [ $SECONDS -ge "$deadline" ]; then
      kill -KILL -- "-$pid" 2>/dev/null || true
      break
    fi
    sleep 0.1
  done
  rm -f "/run/chatlab/$name.pid"
  log "stopped $name (pid $pid)"
}

# load_firewall SRC DST UNIT: the host's nftables table, installed from SRC as DST (in a directory
# that is the host's own) and loaded now when it changed or is missing. Under systemd also before every start of UNIT: rules live in the kernel, so a reboot
# loses them, and the service must never listen unfiltered until the next provisioning. Returns 0
# when UNIT must restart (its drop-in changed), 1 when not.
load_firewall() {
  local src=$1 installed=$2 unit=$3 changed=1
  if install_file "$src" "$installed" 644 root:root || ! nft list table inet chatlab >/dev/null 2>&1; then
    nft -f "$installed"
    log "firewall: loaded $installed"
    CHANGES=$((CHANGES + 1))
  fi
  if have_systemd; then
    systemd_dropin "$unit" chatlab-firewall "ExecStartPre=+/usr/sbin/nft -f $installed" && changed=0
  fi
  return $changed
}

# start_mariadb CNF RESTART: MariaDB with this role's settings, its data directory made once,
# running and answering on its socket (bounded wait). RESTART=1 when something it reads changed.
start_mariadb() {
  local cnf=$1 restart=$2 deadline
  install_file "$cnf" /etc/mysql/mariadb.conf.d/90-chatlab.cnf 644 root:root && restart=1
  install_dir /run/mysqld 755 mysql:mysql
  install_dir /var/log/mysql 750 mysql:adm
  if [ ! -d /var/lib/mysql/mysql ]; then
    install_dir /var/lib/mysql 755 mysql:mysql
    mariadb-install-db --user=mysql --datadir=/var/lib/mysql --skip-test-db >/dev/null
    log "initialised /var/lib/mysql"
    CHANGES=$((CHANGES + 1))
  fi
  run_service mariadb mariadb.service "$restart" -- mariadbd --user=mysql
  deadline=$((SECONDS + 60))
  until mariadb-admin --protocol=socket ping >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || die "MariaDB did not answer on its socket within 60 s"
    sleep 0.2
  done
}

# Vagrant's hostname step leaves a failed ifup@eth1 unit behind; nothing else should be failed.
finish() {
  if have_systemd; then systemctl reset-failed 2>/dev/null || true; fi
  if [ "$CHANGES" -eq 0 ]; then
    log "already provisioned: nothing changed"
  else
    log "provisioned: $CHANGES change(s)"
  fi
}

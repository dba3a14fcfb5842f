#!/usr/bin/env bash
# CI stage: the generated Vagrantfile boots the whole lab on libvirt (plain QEMU), a smoke test runs
# from this machine over the lab network, then everything is destroyed. No systemd here: libvirtd
# and virtlogd run as plain processes (`chatlab box host up|down`). Whatever happens, the EXIT trap
# destroys the VMs and removes networks, pools, volumes, daemons and firewall chains, then prints
# how long each step took. Exit status: non-zero on any failure.
#
# Needs root and the namespace lab down (both use 192.168.56.1/21 on this machine).
# Environment: CHATLAB_BOX_CACHE (default /var/cache/chatlab-box), CHATLAB_VAGRANT_SMOKE (default
# test/vagrant/smoke.sh; run after the built-in checks when it exists).
set -Eeuo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export VAGRANT_CHECKPOINT_DISABLE=1 VAGRANT_DEFAULT_PROVIDER=libvirt VAGRANT_NO_COLOR=1
export CHATLAB_LIBVIRT_BOX=chatlab-bookworm
BOX=(npx --no-install tsx provision/box/cli.ts)
SMOKE=${CHATLAB_VAGRANT_SMOKE:-test/vagrant/smoke.sh}
CHATLAB=(node dist/chatlab.js)
TIMES=()
HOST_UP=0
VMS_MAYBE=0
STAGE_T0=$SECONDS

log() { printf 'vagrant-stage: %s\n' "$*"; }

# step NAME SECONDS CMD...: runs CMD with a time limit and records how long it took. A shell
# function cannot run under timeout(1); the functions below bound each command they run.
step() {
  local name=$1 limit=$2 t0=$SECONDS rc=0
  shift 2
  log "== $name (limit ${limit}s)"
  if declare -F "$1" >/dev/null; then "$@" || rc=$?; else timeout --kill-after=15 "$limit" "$@" || rc=$?; fi
  TIMES+=("$(printf '%-34s %6ds  %s' "$name" $((SECONDS - t0)) "$([ $rc -eq 0 ] && echo ok || echo "FAILED ($rc)")")")
  return $rc
}

cleanup() {
  local rc=$?
  trap - EXIT
  set +e
  if [ $VMS_MAYBE -eq 1 ]; then step "vagrant destroy" 300 vagrant destroy -f || { [ $rc -ne 0 ] || rc=1; }; fi
  if [ $HOST_UP -eq 1 ]; then step "libvirt down" 180 "${BOX[@]}" host down || { [ $rc -ne 0 ] || rc=1; }; fi
  log "timings:"
  printf '  %s\n' "${TIMES[@]}"
  log "total $((SECONDS - STAGE_T0)) s, exit $rc"
  exit "$rc"
}
trap cleanup EXIT

# The host packages of the VM stage and `chatlab box` (provision/host-commands.ts), installed the
# way the lab installs its own; then every command both run must be there, before anything starts.
install_host_packages() {
  local list packages
  list=$("${CHATLAB[@]}" packages vm-stage) || return 1
  mapfile -t packages <<<"$list"
  timeout 1500 bash provision/shell/packages.sh "${packages[@]}" || return 1
  "${CHATLAB[@]}" packages --check vm-stage
}

# vagrant-libvirt redraws its upload progress thousands of times on one \r-separated line.
quiet_progress() { grep --line-buffered -av 'Progress: [0-9]*%'; }

vagrant_up() { timeout --kill-after=30 1800 vagrant up --provider=libvirt 2>&1 | quiet_progress; }

machines() { timeout 120 vagrant status --machine-readable | awk -F, '$3 == "state" { print $2 }'; }

# Built-in checks; the lab's own smoke test (rsxcc, cluster, SRV) follows in $SMOKE. The address
# comes from the guest itself, so this does not parse the Vagrantfile.
check_guests() {
  local m ip state list
  list=$(machines) || return 1
  [ -n "$list" ] || { log "vagrant lists no machines"; return 1; }
  for m in $list; do
    # Only the failure Vagrant itself causes (its hostname step starts ifup@eth1 too early).
    state=$(timeout 180 vagrant ssh "$m" -c 'sudo systemctl reset-failed ifup@eth1.service 2>/dev/null; systemctl is-system-running --wait' 2>/dev/null | tr -d '\r' | tail -n 1)
    log "$m: system $state"
    if [ "$state" != running ]; then
      timeout 60 vagrant ssh "$m" -c 'systemctl --failed --no-legend' || true
      return 1
    fi
    ip=$(timeout 60 vagrant ssh "$m" -c 'ip -4 -o addr show dev eth1' 2>/dev/null | awk '{ split($4, a, "/"); print a[1] }')
    [ -n "$ip" ] || { log "$m: no address on eth1"; return 1; }
    ping -c 2 -W 2 "$ip" >/dev/null || { log "$m: $ip does not answer ping"; return 1; }
    log "$m: $ip answers over the lab network"
  done
}

[ "$(id -u)" -eq 0 ] || { log "needs root"; exit 1; }
[ -f Vagrantfile ] || { log "no Vagrantfile: run 'chatlab generate' first"; exit 1; }

step "install host packages" 1500 install_host_packages
step "box build or reuse + add" 1200 "${BOX[@]}" add
HOST_UP=1
# A run that was cut off (machine reused) left its state file: undo it by the PIDs it recorded.
step "leftovers of an earlier run" 180 "${BOX[@]}" host down
step "libvirt up" 120 "${BOX[@]}" host up
VMS_MAYBE=1
step "vagrant up" 1800 vagrant_up
step "guest checks" 300 check_guests
if [ -f "$SMOKE" ]; then step "smoke test" 600 bash "$SMOKE"; fi
step "vagrant destroy" 300 vagrant destroy -f
VMS_MAYBE=0

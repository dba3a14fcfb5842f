#!/usr/bin/env bash
# The whole test suite (`npm test`): unit tests, the real tools' checks of the generated assets,
# and the integration tests against the real lab. Installs what it needs (Debian packages via the
# lab's own installer), brings the lab up, and takes it down again if it was not up before.
set -euo pipefail
cd "$(dirname "$0")/.."

[ "$(id -u)" = 0 ] || { echo "npm test: the lab tests need root (network namespaces)" >&2; exit 77; }

npm run -s build
npm run -s typecheck
node dist/chatlab.js generate --check

# Test tools beyond the lab's own packages (which `chatlab up` installs): provision/host-commands.ts.
list=$(node dist/chatlab.js packages test)
mapfile -t packages <<<"$list"
bash provision/shell/packages.sh "${packages[@]}"

# CHATLAB_TEST_LAB=NAME (with CHATLAB_TEST_SUBNET=CIDR the first time) runs the lab tests on a
# named lab instead of the default one, e.g. while others use the default lab on this machine.
lab=()
[ -z "${CHATLAB_TEST_LAB:-}" ] || lab=(--lab "$CHATLAB_TEST_LAB")
was_up=0
node dist/chatlab.js "${lab[@]}" status >/dev/null 2>&1 && was_up=1
# Scenario 9 on a three-node cluster of its own: the login race needs a message stored through
# one node while another pops, and more nodes give it more chances.
race=(--lab race3)
cleanup() {
  node dist/chatlab.js "${race[@]}" down >&2 2>/dev/null || true
  [ "$was_up" = 1 ] || node dist/chatlab.js "${lab[@]}" down >&2 || true
}
trap cleanup EXIT
node dist/chatlab.js "${lab[@]}" up ${CHATLAB_TEST_SUBNET:+--subnet "$CHATLAB_TEST_SUBNET"}
node dist/chatlab.js packages --check test

# One file at a time: the lab tests share one lab and some of them take hosts down on purpose.
# Scenario 9 (the login race) runs on a three-node lab of its own, below.
lab_tests=()
for f in test/lab/*.test.ts; do [ "$f" = test/lab/proof-login-race.test.ts ] || lab_tests+=("$f"); done
node --import tsx --test --test-concurrency=1 test/unit/*.test.ts test/tools/*.test.ts "${lab_tests[@]}"

node dist/chatlab.js "${race[@]}" up --nodes 3 --subnet "${CHATLAB_RACE_SUBNET:-192.168.64.0/21}"
CHATLAB_TEST_LAB=race3 node --import tsx --test test/lab/proof-login-race.test.ts

#!/usr/bin/env bash
# Builds rsxcc as it was at REV (a commit, tag or branch) in a worktree of its own and prints the
# bundle's path, for BENCH_BASELINE: `npm run bench` then measures that build beside the current
# one in the same run.
#   BENCH_BASELINE=$(npm run -s bench:baseline -- REV) npm run bench
# Remove the worktree afterwards with `git worktree remove --force DIR`.
set -euo pipefail
rev=${1:?usage: bench/baseline.sh REV}
dir=$(mktemp -d "${TMPDIR:-/tmp}/rsxcc-baseline.XXXXXX")
# stdout carries the path alone: everything else goes to stderr.
{
  git worktree add --detach "$dir" "$rev"
  cd "$dir"
  npm ci --no-audit --no-fund
  node build.mjs
} >&2
echo "$dir/dist/rsxcc.js"

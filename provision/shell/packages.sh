#!/usr/bin/env bash
# Installs Debian packages on this machine the way every role script does (ensure_packages):
# apt-get update only when something is missing, daemons kept from starting without systemd.
# Usage: packages.sh PACKAGE...
CHATLAB_HOST=${CHATLAB_HOST:-workstation}
CHATLAB_SECRETS=${CHATLAB_SECRETS:-/nonexistent}
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_packages "$@"

#!/bin/sh
# Installs the Debian packages the tests and benchmarks run as real peers.
# Only what is missing is installed; needs root (CI and the dev machines are root).
set -e
need=""
command -v redis-server >/dev/null 2>&1 || need="$need redis-server"
command -v git >/dev/null 2>&1 || need="$need git"
command -v wrk >/dev/null 2>&1 || need="$need wrk"  # sandbox benchmark load generator
command -v git-secrets >/dev/null 2>&1 || need="$need git-secrets"  # leak-scanner benchmark peer
[ -z "$need" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "keysafe: missing Debian packages:$need. Install them (sudo apt-get install$need) and run again." >&2
  exit 1
fi
echo "keysafe: installing$need (apt-get)..."
apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null

#!/usr/bin/env bash
# The system packages the tests need, on Debian 12 (root; put sudo in front where you are not): redis-server and
# valkey-server (the integration tests run real servers), bubblewrap (the local platform's pod sandboxes), iptables
# (their loopback firewall) and libxml2-utils (xmllint validates the JUnit XML). Used by .ci/run and by README's test command.
set -uo pipefail

export DEBIAN_FRONTEND=noninteractive
# Installing a server package starts its service on 127.0.0.1:6379 where the init system lets it. The tests start
# their own servers, so packages go in with service starts denied (policy-rc.d, the switch Debian's maintainer
# scripts obey), --no-remove (nothing else may go, redis-server least of all), and any such service still running
# is stopped afterwards.
apt_install() {
  local policy=/usr/sbin/policy-rc.d made=""
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && made=1; fi
  apt-get install -y -qq --no-remove "$@" >/dev/null
  local rc=$?
  if [ -n "$made" ]; then rm -f "$policy"; fi
  return "$rc"
}
# redis-server: the integration tests run real Redis; libxml2-utils: xmllint validates the JUnit XML; bubblewrap:
# the local platform runs pods as sandboxes (wrapper scripts, init containers) with it; iptables: the sandboxes'
# loopback firewall (pods cannot reach this machine's own 127.0.0.1 services) and master-partition's cuts between
# pods' loopback addresses.
if ! command -v redis-server >/dev/null || ! command -v xmllint >/dev/null || ! command -v bwrap >/dev/null ||
  ! command -v iptables >/dev/null; then
  apt-get update -qq && apt_install redis-server libxml2-utils bubblewrap iptables || { echo "apt-get install failed"; exit 1; }
fi
# valkey-server (with valkey-cli): the same checks run on Valkey 8, which Debian 12 ships in bookworm-backports.
if ! command -v valkey-server >/dev/null || ! command -v valkey-cli >/dev/null; then
  if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    # backports from the mirror this machine already uses for bookworm
    mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -n 1)
    [ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
    [ -n "$mirror" ] || { echo "no Debian mirror found in /etc/apt to take bookworm-backports from"; exit 1; }
    echo "deb $mirror bookworm-backports main" >/etc/apt/sources.list.d/bookworm-backports.list
  fi
  apt-get update -qq && apt_install -t bookworm-backports valkey-server || { echo "apt-get install valkey-server failed"; exit 1; }
fi
for server in redis-server valkey-server; do
  command -v "$server" >/dev/null || { echo "$server missing after installation"; exit 1; }
  if command -v systemctl >/dev/null && systemctl is-active --quiet "$server" 2>/dev/null; then
    systemctl stop "$server" && systemctl disable --quiet "$server"
  elif [ -x "/etc/init.d/$server" ] && [ -s "/run/${server%-server}/$server.pid" ]; then
    # Only the service's own process (its pid file): other servers on this machine are not ours to stop.
    "/etc/init.d/$server" stop >/dev/null 2>&1 || true
  fi
done
if ss -Hltn 'sport = :6379' 2>/dev/null | grep -q '127\.0\.0\.1:6379'; then
  echo "a Redis or Valkey service still listens on 127.0.0.1:6379 after installation; stop it before the tests"
  exit 1
fi


#!/usr/bin/env bash
# Validates deploy/nginx.conf with the real nginx (`nginx -t`), without Docker and without root:
# the compose host names become 127.0.0.1 ports (nginx -t resolves upstream hosts), and the pid,
# logs and temp paths move into a temp dir. Needs Debian's nginx package (or any nginx >= 1.19.5).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
conf="${1:-$here/nginx.conf}"

command -v nginx >/dev/null || { echo "check-nginx: nginx is not installed (apt-get install nginx)" >&2; exit 1; }
[ -f "$conf" ] || { echo "check-nginx: no such file: $conf" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/logs" "$tmp/temp"

{
  # Main-context paths first; the originals are dropped below.
  echo "pid $tmp/nginx.pid;"
  echo "error_log $tmp/logs/error.log warn;"
  sed -E \
    -e 's/\bserver1:3000\b/127.0.0.1:3001/g' \
    -e 's/\bserver2:3000\b/127.0.0.1:3002/g' \
    -e '/^[[:space:]]*pid[[:space:]]/d' \
    -e '/^[[:space:]]*error_log[[:space:]]/d' \
    -e "s#^([[:space:]]*access_log[[:space:]]+)/[^ ;]+#\\1$tmp/logs/access.log#" \
    -e "s#^([[:space:]]*listen[[:space:]]+)80;#\\1127.0.0.1:${CHECK_NGINX_PORT:-18080};#" \
    -e "/^http[[:space:]]*\\{/a\\
    client_body_temp_path $tmp/temp/body;\\
    proxy_temp_path $tmp/temp/proxy;\\
    fastcgi_temp_path $tmp/temp/fastcgi;\\
    uwsgi_temp_path $tmp/temp/uwsgi;\\
    scgi_temp_path $tmp/temp/scgi;" \
    "$conf"
} >"$tmp/nginx.conf"

# Fail loudly if the config changed shape and a substitution no longer applies.
if grep -nE '\bserver[12]:3000\b|/var/(run|log)/' "$tmp/nginx.conf"; then
  echo "check-nginx: the lines above were not rewritten; update deploy/check-nginx.sh" >&2
  exit 1
fi
grep -q "proxy_temp_path $tmp" "$tmp/nginx.conf" || { echo "check-nginx: no 'http {' line found" >&2; exit 1; }

echo "check-nginx: nginx -t on a copy of $conf (upstreams -> 127.0.0.1:3001/3002)"
nginx -t -q -c "$tmp/nginx.conf" -p "$tmp" -e "$tmp/logs/error.log"
echo "check-nginx: ok"

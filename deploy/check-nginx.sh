#!/usr/bin/env bash
# Validates deploy/nginx.conf with the real nginx (`nginx -t`), without Docker and without root:
# deploy/local-nginx.sh renders it with 127.0.0.1 upstreams (nginx -t resolves upstream hosts)
# and the pid, logs and temp paths in a temp dir. Needs Debian's nginx package (or any nginx >= 1.19.5).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
conf="${1:-$here/nginx.conf}"

command -v nginx >/dev/null || { echo "check-nginx: nginx is not installed (apt-get install nginx)" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$here/local-nginx.sh" "$tmp" "${CHECK_NGINX_PORT:-18080}" 127.0.0.1:3001 127.0.0.1:3002 "$conf"

echo "check-nginx: nginx -t on a copy of $conf (upstreams -> 127.0.0.1:3001/3002)"
nginx -t -q -c "$tmp/nginx.conf" -p "$tmp" -e "$tmp/logs/error.log"
echo "check-nginx: ok"

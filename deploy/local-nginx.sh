#!/usr/bin/env bash
# Renders deploy/nginx.conf for a local, unprivileged nginx: the compose host names become the
# given upstream addresses, nginx listens on 127.0.0.1:<port>, and the pid, logs and temp paths
# move into <dir>. Used by deploy/check-nginx.sh (nginx -t) and by the cluster test that runs the
# real nginx in front of two nodes, so both exercise exactly the file docker-compose mounts.
#
#   deploy/local-nginx.sh <dir> <port> <upstream1 host:port> <upstream2 host:port> [conf]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="$1" port="$2" up1="$3" up2="$4"
conf="${5:-$here/nginx.conf}"
[ -f "$conf" ] || { echo "local-nginx: no such file: $conf" >&2; exit 1; }
mkdir -p "$dir/logs" "$dir/temp"

{
  # Main-context paths first; the originals are dropped below.
  echo "pid $dir/nginx.pid;"
  echo "error_log $dir/logs/error.log warn;"
  sed -E \
    -e "s/\\bserver1:3000\\b/$up1/g" \
    -e "s/\\bserver2:3000\\b/$up2/g" \
    -e '/^[[:space:]]*pid[[:space:]]/d' \
    -e '/^[[:space:]]*error_log[[:space:]]/d' \
    -e "s#^([[:space:]]*access_log[[:space:]]+)/[^ ;]+#\\1$dir/logs/access.log#" \
    -e "s#^([[:space:]]*listen[[:space:]]+)80;#\\1127.0.0.1:$port;#" \
    -e "/^http[[:space:]]*\\{/a\\
    client_body_temp_path $dir/temp/body;\\
    proxy_temp_path $dir/temp/proxy;\\
    fastcgi_temp_path $dir/temp/fastcgi;\\
    uwsgi_temp_path $dir/temp/uwsgi;\\
    scgi_temp_path $dir/temp/scgi;" \
    "$conf"
} >"$dir/nginx.conf"

# Fail loudly if the config changed shape and a substitution no longer applies.
if grep -nE '\bserver[12]:3000\b|/var/(run|log)/' "$dir/nginx.conf"; then
  echo "local-nginx: the lines above were not rewritten; update deploy/local-nginx.sh" >&2
  exit 1
fi
grep -q "proxy_temp_path $dir" "$dir/nginx.conf" || { echo "local-nginx: no 'http {' line found" >&2; exit 1; }
grep -q "listen 127.0.0.1:$port;" "$dir/nginx.conf" || { echo "local-nginx: no 'listen 80;' line found" >&2; exit 1; }

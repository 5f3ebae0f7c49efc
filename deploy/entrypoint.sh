#!/bin/sh
# Entrypoint of the service image built by deploy/Dockerfile (POSIX sh, no bashisms).
#
#   entrypoint.sh [UVICORN_ARG...]    exec python -m uvicorn $SERVICE.main:create_app --factory ...
#   entrypoint.sh healthcheck [PATH]  GET http://127.0.0.1:<port><PATH> (default /healthz) with
#                                     Python's urllib; exit status 0 only for a 2xx answer
#
# SERVICE (baked into the image) is referral, scheduling, notification, billing or console; its
# settings prefix <PREFIX> is the upper-cased name plus "_", e.g. REFERRAL_.
# Port: $PORT, else <PREFIX>HTTP__PORT, else the default of the service's Settings class. When
#   both are set they must be equal; the chosen port is exported as <PREFIX>HTTP__PORT so that
#   the application's settings agree with the socket uvicorn listens on.
# Bind address: <PREFIX>HTTP__HOST, else the Settings default (127.0.0.1). The image does not
#   choose 0.0.0.0 by itself: docker-compose.yml and deploy/k8s set <PREFIX>HTTP__HOST=0.0.0.0.
set -eu

die() {
  echo "entrypoint: $*" >&2
  exit 64
}

case "${SERVICE:-}" in
  referral | scheduling | notification | billing | console) ;;
  *) die "SERVICE must be referral, scheduling, notification, billing or console, not '${SERVICE:-}'" ;;
esac
prefix="$(printf '%s' "$SERVICE" | tr '[:lower:]' '[:upper:]')_"

# Reads Settings().http.<field> of the service (its defaults, overridden by its environment).
settings_http() {
  python -c 'import importlib, sys
settings = importlib.import_module(sys.argv[1] + ".config").Settings()
print(getattr(settings.http, sys.argv[2]))' "$SERVICE" "$1"
}

# The value of the variable named $1, or nothing when it is unset (no eval: the name is data).
env_value() {
  printenv "$1" || true
}

setting_host="$(env_value "${prefix}HTTP__HOST")"
setting_port="$(env_value "${prefix}HTTP__PORT")"

port="${PORT:-}"
if [ -n "$port" ] && [ -n "$setting_port" ] && [ "$port" != "$setting_port" ]; then
  die "PORT=$port but ${prefix}HTTP__PORT=$setting_port; set them to the same port"
fi
port="${port:-${setting_port:-$(settings_http port)}}"
case "$port" in
  '' | *[!0-9]*) die "the port must be a number, not '$port'" ;;
esac
export "${prefix}HTTP__PORT=$port"

host="${setting_host:-$(settings_http host)}"

if [ "${1:-}" = healthcheck ]; then
  case "$host" in
    0.0.0.0 | :: | '') probe_host=127.0.0.1 ;;
    *:*) probe_host="[$host]" ;;
    *) probe_host="$host" ;;
  esac
  exec python -c 'import sys, urllib.request
url = sys.argv[1]
try:
    with urllib.request.urlopen(url, timeout=4) as response:
        status = response.status
except Exception as exc:
    sys.exit(f"unhealthy: {url}: {exc}")
sys.exit(0 if 200 <= status < 300 else f"unhealthy: {url}: HTTP {status}")' \
    "http://$probe_host:$port${2:-/healthz}"
fi

exec python -m uvicorn "${SERVICE}.main:create_app" --factory --host "$host" --port "$port" "$@"

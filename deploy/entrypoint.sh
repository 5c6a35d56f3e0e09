#!/bin/sh
# The image's entry point (deploy/Dockerfile).
#   serve    the service named by SERVICE (units, awards, events, console) with granian, on PORT
#            (default: the service's port in thidua/registry.py) with WORKERS worker processes (default 2)
#   health   exit 0 when that service answers GET /health/live (the image's HEALTHCHECK)
#   anything else is run as given: `thidua migrate`, `thidua create-account ...`, `thidua republish units`
set -eu

default_port() {
    # Kept equal to thidua/registry.py (tests/deploy/test_packaging.py checks it).
    case "$1" in
        console) echo 8100 ;;
        units) echo 8101 ;;
        awards) echo 8102 ;;
        events) echo 8103 ;;
        *) echo "thidua: SERVICE must be one of units, awards, events, console (not '$1')" >&2; exit 2 ;;
    esac
}

port() {
    if [ -n "${PORT:-}" ]; then echo "$PORT"; else default_port "${SERVICE:-}"; fi
}

case "${1:-serve}" in
    serve)
        port=$(port)
        # A worker that dies is replaced by granian; the whole process, by the container's restart policy.
        exec granian --interface asgi --host 0.0.0.0 --port "$port" --workers "${WORKERS:-2}" \
            --loop uvloop --no-ws --respawn-failed-workers "services.${SERVICE}.asgi:app"
        ;;
    health)
        port=$(port)
        exec python -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=4)' \
            "http://127.0.0.1:${port}/health/live"
        ;;
    *)
        exec "$@"
        ;;
esac

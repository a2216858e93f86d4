#!/usr/bin/env bash
# A wheel that works read-only: build the wheel, install it into a fresh venv, make the venv
# read-only, then run the README's demo and cold queries as a non-root user with an empty,
# read-only Numba cache (what a Docker image or a serverless function gives the engine).
# Prints the timings; fails if anything fails. Usage: bash .ci/readonly-install.sh [PYTHON]
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${1:-python3}"
work="$(mktemp -d /tmp/brique-ro.XXXXXX)"
chmod 755 "$work"
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

echo "== wheel"
"$PY" -m pip wheel -q . -w "$work/wheel" --no-deps
echo "== fresh venv, made read-only"
# the venv's interpreter must be reachable by the non-root user (a pyenv under /root is not):
# Debian's python3 of the same minor version when there is one
VENV_PY="$PY"
same="import sys; print('%d.%d' % sys.version_info[:2])"
if [ -x /usr/bin/python3 ] && [ "$(/usr/bin/python3 -c "$same")" = "$("$PY" -c "$same")" ] \
    && /usr/bin/python3 -c "import venv, ensurepip" 2>/dev/null; then
  VENV_PY=/usr/bin/python3
fi
"$VENV_PY" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q --disable-pip-version-check "$work"/wheel/*.whl
chmod -R a-w "$work/venv"
mkdir -p "$work/numba-empty" "$work/run"
chmod 555 "$work/numba-empty"

user=root
if [ "$(id -u)" = 0 ] && [ "$VENV_PY" = /usr/bin/python3 ]; then
  id brique-ro >/dev/null 2>&1 || useradd --no-create-home --shell /bin/bash brique-ro
  user=brique-ro
  chown brique-ro "$work/run"
fi
run() {
  local cmd="cd '$work/run' && HOME='$work/run' NUMBA_CACHE_DIR='$work/numba-empty' $*"
  if [ "$user" = root ]; then bash -c "$cmd"; else su -s /bin/bash "$user" -c "$cmd"; fi
}

[ "$user" = root ] && echo "(running as root: read-only modes do not bind root; the check is weaker)"
echo "== brique demo as $user (read-only site-packages, empty read-only Numba cache)"
start=$(date +%s.%N)
run "'$work/venv/bin/brique' demo --out '$work/run/demo' > '$work/run/demo.log'"
end=$(date +%s.%N)
tail -n 4 "$work/run/demo.log"
echo "brique demo total: $("$PY" -c "print(round($end - $start, 2))") s"

echo "== cold processes: import + open + plan + route + geocode"
run "'$work/venv/bin/python' '$PWD/benchmarks/cold_start.py' '$work/run/demo/sample.bundle' --runs 3"
if run "touch '$work/venv/lib/probe'" 2>/dev/null; then
  echo "CI: the venv is writable, the check proves nothing"; exit 1
fi
echo "read-only install: OK"

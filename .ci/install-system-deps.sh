#!/usr/bin/env bash
# System packages the Python install cannot bring, for the tests and benchmarks that need them:
#   chromium  the map page's end-to-end test (tests/server/test_map_e2e.py drives /usr/bin/chromium
#             through Playwright; no browser is downloaded). Without it that test skips, saying so.
#   wrk       the HTTP load test (benchmarks/load_test.py).
# This is the documented way to get them (README, "The two commands"); CI runs it first.
#
#   bash .ci/install-system-deps.sh           install what is missing (root, or passwordless sudo)
#   bash .ci/install-system-deps.sh --check   only say what is present / missing (exit 1 if missing)
#
# Tolerant: without apt-get, root or sudo, or if apt fails, it says so and exits 0 (the tests
# that need these packages skip with their reason).
set -u
PKGS="chromium wrk"
declare -A BIN=([chromium]=/usr/bin/chromium [wrk]=/usr/bin/wrk)

missing=""
for pkg in $PKGS; do [ -x "${BIN[$pkg]}" ] || missing="$missing $pkg"; done
missing="${missing# }"

if [ "${1:-}" = "--check" ]; then
  for pkg in $PKGS; do
    if [ -x "${BIN[$pkg]}" ]; then echo "install-system-deps: $pkg: ${BIN[$pkg]}"; else echo "install-system-deps: $pkg: missing"; fi
  done
  [ -z "$missing" ]; exit $?
fi
if [ -z "$missing" ]; then echo "install-system-deps: $PKGS already installed"; exit 0; fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "install-system-deps: not root and no passwordless sudo; run it with sudo to install: $missing."
    echo "install-system-deps: until then the browser test skips (and the load test needs wrk)."; exit 0
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-system-deps: apt-get not available (not Debian/Ubuntu); install $missing with your package"
  echo "install-system-deps: manager (Chromium must be at /usr/bin/chromium). The browser test skips meanwhile."; exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if $SUDO apt-get update -qq && $SUDO apt-get install -y -qq $missing >/dev/null; then
  echo "install-system-deps: installed $missing"
else
  echo "install-system-deps: WARNING could not install $missing (apt failed); the browser test will skip"
fi
exit 0

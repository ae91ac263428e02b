#!/usr/bin/env bash
# Installs what the tests need beyond the service (scripts/install_deps.sh,
# run first): curl (API tests), apache2 + openssl (the tests' git smart-HTTP
# server and its throwaway CA), postgresql (the Postgres KV tests; each test
# runs its own cluster), python3-venv (setup commands that build real venvs)
# chromium (the dashboard's browser tests, driven by puppeteer-core) and
# python3-prometheus-client (the Prometheus project's own text-format parser
# reads /metrics in tests/metrics_test.ts).
# About 420 MB on a fresh Debian 12. Idempotent.
set -euo pipefail
AOS_INSTALL_NAME=install_test_deps
here="$(dirname "$0")"
"$here/install_deps.sh"
# shellcheck source=scripts/apt_missing.sh
. "$here/apt_missing.sh"

missing=()
command -v curl >/dev/null 2>&1 || missing+=(curl)
[ -x /usr/sbin/apache2 ] || missing+=(apache2)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
# Debian splits venv/ensurepip off python3.
venv_probe="$(mktemp -d)"
python3 -m venv "$venv_probe/v" >/dev/null 2>&1 || missing+=(python3-venv)
rm -rf "$venv_probe"
[ -x /usr/bin/chromium ] || missing+=(chromium)
/usr/bin/python3 -c 'import prometheus_client' >/dev/null 2>&1 ||
  missing+=(python3-prometheus-client)
apt_install_missing "${missing[@]}"

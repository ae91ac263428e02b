#!/usr/bin/env bash
# Installs what AOS needs on a fresh Debian machine with Node: git, bubblewrap,
# python3 (used by the examples and tests) from apt, and Deno 2.9.6 from npm.
# Idempotent: installs only what is missing.
set -euo pipefail
DENO_VERSION=2.9.6
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

missing=()
command -v git >/dev/null 2>&1 || missing+=(git)
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
command -v curl >/dev/null 2>&1 || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
  echo "install_deps: apt-get install ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! deno --version 2>/dev/null | grep -q "^deno ${DENO_VERSION} "; then
  echo "install_deps: npm install -g deno@${DENO_VERSION}" >&2
  $SUDO npm install -g "deno@${DENO_VERSION}" >/dev/null
fi
deno --version | head -n 1 >&2

# Shared by install_deps.sh and install_test_deps.sh (sourced, not run):
# `say`, `die`, `SUDO` and `apt_install_missing PKG…` (apt-get install of the
# packages given, once, non-interactively; a clear error without apt-get).

say() { echo "${AOS_INSTALL_NAME:-install}: $*" >&2; }
die() { say "$*"; exit 1; }

SUDO=()
if [ "$(id -u)" != "0" ]; then
  command -v sudo >/dev/null 2>&1 || die "not root and sudo is missing; run as root or install sudo"
  SUDO=(sudo)
fi

apt_install_missing() {
  [ $# -gt 0 ] || return 0
  command -v apt-get >/dev/null 2>&1 ||
    die "missing $* and apt-get is not available; install them with your package manager"
  say "apt-get install $*"
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "$@" >/dev/null
}

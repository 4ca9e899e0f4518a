# Shared by deploy/images/build-base and deploy/images/build (sourced, not run). Expects ROOT (the repository).
# shellcheck shell=bash

say() { printf '%s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# need TOOL HINT: fails with the install hint unless TOOL is on PATH.
need() { command -v "$1" > /dev/null 2>&1 || die "$1 is not installed ($2)"; }

# The Maven project version: the parent POM's own <version>, the first one in the file.
project_version() { sed -n 's:.*<version>\(.*\)</version>.*:\1:p' "$ROOT/pom.xml" | head -n 1; }

# The commit the images are built from (org.opencontainers.image.revision), with -dirty for local changes.
git_revision() {
  local rev
  rev=$(git -C "$ROOT" rev-parse HEAD 2>/dev/null) || { echo unknown; return; }
  if ! git -C "$ROOT" diff --quiet HEAD -- 2>/dev/null; then
    rev="$rev-dirty"
  fi
  echo "$rev"
}

# Where the source lives (org.opencontainers.image.source): $BERTH_SOURCE_URL, the origin remote, or the checkout.
source_url() {
  if [ -n "${BERTH_SOURCE_URL:-}" ]; then
    echo "$BERTH_SOURCE_URL"
  else
    git -C "$ROOT" remote get-url origin 2>/dev/null || echo "file://$ROOT"
  fi
}

# A registry on loopback is plain HTTP (deploy/local/up without --tls); anything else must present a certificate.
default_tls_verify() {
  case "$1" in
    127.*|localhost|localhost:*) echo false ;;
    *) echo true ;;
  esac
}

# private_podman DIR: podman and skopeo with their own vfs storage, settings and auth file under DIR, so that
# nothing of the user's images or /etc/containers settings is used or changed.
private_podman() {
  local dir=$1
  mkdir -p "$dir/graphroot" "$dir/runroot" "$dir/tmp"
  printf '[storage]\ndriver = "vfs"\ngraphroot = "%s"\nrunroot = "%s"\n' "$dir/graphroot" "$dir/runroot" > "$dir/storage.conf"
  printf 'unqualified-search-registries = []\n' > "$dir/registries.conf"
  printf '{}\n' > "$dir/auth.json"
  export CONTAINERS_STORAGE_CONF="$dir/storage.conf"
  export CONTAINERS_REGISTRIES_CONF="$dir/registries.conf"
  export CONTAINERS_CONF="$ROOT/deploy/podman/containers.conf"
  export REGISTRY_AUTH_FILE="$dir/auth.json"
  export TMPDIR="$dir/tmp"
}

# registry_login REGISTRY TLS_VERIFY: logs podman in with $BERTH_USERNAME/$BERTH_PASSWORD (password on stdin,
# never on a command line); nothing without $BERTH_USERNAME.
registry_login() {
  [ -n "${BERTH_USERNAME:-}" ] || return 0
  printf '%s' "${BERTH_PASSWORD:-}" | podman login --tls-verify="$2" -u "$BERTH_USERNAME" --password-stdin "$1" > /dev/null \
    || die "podman login $1 as $BERTH_USERNAME failed"
}

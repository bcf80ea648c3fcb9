#!/usr/bin/env bash
# The autograder's setup. Gradescope runs it once, as root, when it builds the autograder's
# image from this zip (unpacked in /autograder/source). In order:
#   1. system packages: bubblewrap (the strong sandbox), util-linux (prlimit, setpriv, unshare),
#      with apt-get, only those missing;
#   2. Node: kept when the machine has a supported one, else the pinned Node and npm, each
#      checked against the sha512 the npm registry published for it;
#   3. the kit's npm packages: `npm ci` offline from the npm cache this zip carries;
#   4. hidden tests and reference solutions readable by root only (the sandbox hides them
#      from student code anyway: this is a second wall);
#   5. the check that this machine grades right: the sandbox level (an open network is refused
#      unless the bundle was built with --allow-weak-sandbox) and the reference solutions
#      graded as a student is, for full marks. If that fails, the upload fails, with the reason
#      in Gradescope's build log: better than wrong marks for every student.
# Every step is skipped when what it installs is there already. AUTOGRADER_ROOT (default
# /autograder) lets the kit's tests run it in a temporary folder.
set -euo pipefail

ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
KIT="$SOURCE/kit"
NODE_VERSION="@NODE_VERSION@"
NODE_URL="${MP_NODE_URL:-@NODE_URL@}"
NODE_SHA512="${MP_NODE_SHA512:-@NODE_SHA512@}"
NPM_VERSION="@NPM_VERSION@"
NPM_URL="${MP_NPM_URL:-@NPM_URL@}"
NPM_SHA512="${MP_NPM_SHA512:-@NPM_SHA512@}"
PREFIX="${MP_NODE_PREFIX:-/usr/local}"

say() { echo "== setup: $*"; }
is_root() { [ "$(id -u)" = 0 ]; }

# The kit's engines: ^20.19 || >=22.12.
node_ok() {
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 &&
    node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit((a===20&&b>=19)||(a===22&&b>=12)||a>22?0:1)' 2>/dev/null
}

system_packages() {
  local want=()
  command -v bwrap >/dev/null 2>&1 || want+=(bubblewrap)
  { command -v prlimit && command -v setpriv && command -v unshare; } >/dev/null 2>&1 || want+=(util-linux)
  if ! node_ok; then
    command -v curl >/dev/null 2>&1 || want+=(curl ca-certificates)
  fi
  if [ ${#want[@]} -eq 0 ]; then
    say "system packages: bubblewrap and util-linux are here"
  elif command -v apt-get >/dev/null 2>&1 && is_root; then
    say "system packages: installing ${want[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
  else
    say "system packages: ${want[*]} missing, and no apt-get as root here; the sandbox check below says what that costs"
  fi
}

# fetch_checked URL SHA512-HEX FILE: download, and refuse anything but the pinned bytes.
fetch_checked() {
  curl -fsSL --retry 3 -o "$3" "$1"
  if ! echo "$2  $3" | sha512sum -c --quiet - >/dev/null 2>&1; then
    echo "setup: $1 is not the pinned file (sha512 differs): refusing it" >&2
    return 1
  fi
}

install_node() {
  if node_ok; then
    say "node: $(node --version) at $(command -v node) is supported: kept"
    return 0
  fi
  say "node: installing Node $NODE_VERSION and npm $NPM_VERSION into $PREFIX"
  local tmp
  tmp="$(mktemp -d)"
  fetch_checked "$NODE_URL" "$NODE_SHA512" "$tmp/node.tgz"
  fetch_checked "$NPM_URL" "$NPM_SHA512" "$tmp/npm.tgz"
  mkdir -p "$tmp/node" "$PREFIX/bin" "$PREFIX/lib/node_modules"
  tar -xzf "$tmp/node.tgz" -C "$tmp/node"
  install -m 0755 "$tmp/node/package/bin/node" "$PREFIX/bin/node"
  rm -rf "$PREFIX/lib/node_modules/npm"
  mkdir -p "$PREFIX/lib/node_modules/npm"
  tar -xzf "$tmp/npm.tgz" -C "$PREFIX/lib/node_modules/npm" --strip-components=1
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$PREFIX/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$PREFIX/bin/npx"
  rm -rf "$tmp"
  export PATH="$PREFIX/bin:$PATH"
  hash -r
  node_ok || { echo "setup: the installed node does not run here" >&2; return 1; }
  say "node: $(node --version), npm $(npm --version)"
}

kit_packages() {
  local sum stamp mode
  sum="$(sha256sum "$KIT/package-lock.json" | cut -d' ' -f1)"
  stamp="$KIT/node_modules/.mp-kit-installed"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then
    say "npm packages: installed already"
    return 0
  fi
  # Offline when the zip carries every package; else npm downloads what it lacks.
  mode=--offline
  [ -f "$SOURCE/npm-cache/complete" ] || mode=--prefer-offline
  say "npm packages: npm ci $mode from the bundle's cache"
  (cd "$KIT" && npm ci "$mode" --omit=dev --cache "$SOURCE/npm-cache" --no-audit --no-fund --loglevel=error)
  echo "$sum" >"$stamp"
}

lock_secrets() {
  local d
  for d in "$KIT/solutions" "$KIT"/exercises/*/tests/hidden; do
    [ -e "$d" ] && chmod -R go-rwx "$d"
  done
  say "hidden tests and solutions: readable by their owner only"
}

verify() {
  say "checking this machine: sandbox level, then the reference solutions"
  (cd "$KIT" && node grader/bin.mjs gradescope verify)
}

main() {
  system_packages
  install_node
  kit_packages
  lock_secrets
  verify
  say "ready"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then main "$@"; fi

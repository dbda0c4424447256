#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Downloads the newest linux-source-7.3 the Debian archive offers and unpacks it once
# into $HLRS_CACHE/linux-src (pristine). Prints the source directory.
. "$(dirname "$0")/lib.sh"

SERIES=7.3
PKG=linux-source-$SERIES
SUITES="trixie-backports forky sid experimental"
src=$HLRS_CACHE/linux-src
mkdir -p "$HLRS_CACHE/stamps" "$HLRS_CACHE/debs"

if [ -f "$HLRS_CACHE/stamps/linux-src" ] && [ -d "$(cat "$HLRS_CACHE/stamps/linux-src")" ]; then
	cat "$HLRS_CACHE/stamps/linux-src"
	exit 0
fi

say "looking up $PKG in: $SUITES"
private_apt "$SUITES" update >/dev/null 2>&1 || true
ver=$(private_apt "$SUITES" madison "$PKG" 2>/dev/null | awk -F'|' '{gsub(/ /,"",$2); print $2}' |
	sort -V | tail -n1)
if [ -z "$ver" ]; then
	die "Debian's archive no longer offers $PKG in $SUITES. Pick the series it offers now
(apt-cache madison 'linux-source-*' with those suites), set SERIES in $0 to it and check
that the driver still builds against it."
fi
say "downloading $PKG $ver"
(cd "$HLRS_CACHE/debs" && private_apt "$SUITES" download "$PKG=$ver" >/dev/null)
deb=$(ls -t "$HLRS_CACHE"/debs/"${PKG}"_*.deb | head -n1)
tmp=$HLRS_CACHE/linux-unpack
rm -rf "$tmp" "$src"
mkdir -p "$tmp"
dpkg -x "$deb" "$tmp"
tarball=$(ls "$tmp"/usr/src/linux-source-*.tar.xz)
say "unpacking $(basename "$tarball")"
mkdir -p "$src"
tar -xJf "$tarball" -C "$src" --strip-components=1
cp "$tarball" "$HLRS_CACHE/debs/"
rm -rf "$tmp"
echo "$ver" > "$src/.debian-version"
echo "$src" > "$HLRS_CACHE/stamps/linux-src"
echo "$src"

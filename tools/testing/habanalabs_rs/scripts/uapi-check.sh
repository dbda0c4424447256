#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Holds the project's include/uapi/drm/habanalabs_accel.h against the one in the pristine
# kernel source tarball: macro names and integer values (ioctl numbers included), every
# struct and union (size, alignment, each member's offset, size and type), every enum
# constant. Prints one ok/not ok line per category, each difference, "N passed, N failed";
# exits non-zero on any difference. Details in uapi_check.py.
#
# Usage: uapi-check.sh [--ours HEADER] [--theirs HEADER] [--keep DIR]
#   --ours    the header to check (default: the project's)
#   --theirs  the reference (default: the one in the kernel source tarball)
#   --keep    keep the generated probe programs in DIR
#
# The pristine tarball is the one fetch-kernel.sh leaves in $HLRS_CACHE/debs; only the uapi
# include directories are unpacked from it (into $HLRS_CACHE/uapi-pristine), never the
# overlaid tree in $HLRS_CACHE/linux-src, which carries our header.
. "$(dirname "$0")/lib.sh"
toolchain_env

ours=$HLRS_TOP/include/uapi/drm/habanalabs_accel.h
theirs=""
keep=()
while [ $# -gt 0 ]; do
	case $1 in
	--ours) ours=$2; shift 2 ;;
	--theirs) theirs=$2; shift 2 ;;
	--keep) keep=(--keep "$2"); shift 2 ;;
	*) die "unknown argument: $1 (see the usage in $0)" ;;
	esac
done
[ -f "$ours" ] || die "no header at $ours"
command -v clang >/dev/null || die "clang not found (scripts/host-deps.sh installs clang-19)"

# The linux-source tarball: copied next to the .deb by fetch-kernel.sh; else taken out of the
# .deb; else fetched.
find_tarball() { ls -t "$HLRS_CACHE"/debs/linux-source-*.tar.xz 2>/dev/null | head -n1 || true; }
tarball=$(find_tarball)
if [ -z "$tarball" ]; then
	deb=$(ls -t "$HLRS_CACHE"/debs/linux-source-*.deb 2>/dev/null | head -n1 || true)
	if [ -z "$deb" ]; then
		"$HLRS_TOP/tools/testing/habanalabs_rs/scripts/fetch-kernel.sh" >/dev/null
		deb=$(ls -t "$HLRS_CACHE"/debs/linux-source-*.deb 2>/dev/null | head -n1 || true)
	fi
	tarball=$(find_tarball)
	if [ -z "$tarball" ] && [ -n "$deb" ]; then
		say "taking the kernel source tarball out of $(basename "$deb")"
		tmp=$(mktemp -d "$HLRS_CACHE/deb-unpack.XXXXXX")
		dpkg-deb -x "$deb" "$tmp"
		mv "$(ls "$tmp"/usr/src/linux-source-*.tar.xz | head -n1)" "$HLRS_CACHE/debs/"
		rm -rf "$tmp"
		tarball=$(find_tarball)
	fi
	[ -n "$tarball" ] || die "no linux-source tarball or .deb in $HLRS_CACHE/debs; run scripts/fetch-kernel.sh"
fi

# Unpack the uapi include directories once per tarball, and add the asm/ wrappers the
# kernel's headers_install would generate for x86 (asm/X.h -> asm-generic/X.h).
key=$(basename "$tarball" .tar.xz)-$(stat -c '%s-%Y' "$tarball")
pristine=$HLRS_CACHE/uapi-pristine/$key
if [ ! -f "$pristine/.done" ]; then
	say "unpacking the uapi headers of $(basename "$tarball")"
	rm -rf "$pristine"
	mkdir -p "$pristine"
	tar -xJf "$tarball" -C "$pristine" --strip-components=1 --wildcards --no-wildcards-match-slash \
		'linux-source-*/include/uapi' 'linux-source-*/arch/x86/include/uapi'
	mkdir -p "$pristine/generated/asm"
	for f in "$pristine"/include/uapi/asm-generic/*.h; do
		b=$(basename "$f")
		[ -e "$pristine/arch/x86/include/uapi/asm/$b" ] ||
			echo "#include <asm-generic/$b>" > "$pristine/generated/asm/$b"
	done
	touch "$pristine/.done"
fi
theirs=${theirs:-$pristine/include/uapi/drm/habanalabs_accel.h}
[ -f "$theirs" ] || die "no header at $theirs"

# The uapi headers as the kernel tree has them, before headers_install strips __user.
exec python3 "$HLRS_TOP/tools/testing/habanalabs_rs/scripts/uapi_check.py" \
	--cc clang --ours "$ours" --theirs "$theirs" "${keep[@]}" -- \
	-D__EXPORTED_HEADERS__ -D__user= \
	-I "$pristine/arch/x86/include/uapi" -I "$pristine/generated" -I "$pristine/include/uapi"

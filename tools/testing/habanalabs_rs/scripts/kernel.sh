#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Prepares and builds the test kernel:
#   1. fetches and unpacks linux-source-7.3 once (fetch-kernel.sh);
#   2. applies the project's patches/ series (re-applied only when it changes);
#   3. overlays the project's new files (drivers/accel/habanalabs_rs, rust/, include/);
#   4. configures tinyconfig + kernel/habanalabs_rs.config and checks every symbol;
#   5. builds bzImage and modules into $HLRS_CACHE/build, installs the modules into
#      $HLRS_CACHE/modroot and the uapi headers into $HLRS_CACHE/uapi-headers.
# Usage: kernel.sh [prepare|config|build|module|clippy]   (default: build)
. "$(dirname "$0")/lib.sh"
toolchain_env

what=${1:-build}
src=$("$HLRS_TOP/tools/testing/habanalabs_rs/scripts/fetch-kernel.sh")
B=$HLRS_CACHE/build
MODROOT=$HLRS_CACHE/modroot
FRAG=$HLRS_TOP/tools/testing/habanalabs_rs/kernel/habanalabs_rs.config
JOBS=${JOBS:-$(nproc)}
KMAKE=(make -s -C "$src" O="$B" ARCH=x86_64 LLVM=1 -j"$JOBS")
mkdir -p "$B"

apply_patches() {
	local applied=$HLRS_CACHE/applied-patches want have p
	mkdir -p "$applied"
	want=$(cat "$HLRS_TOP"/patches/*.patch 2>/dev/null | sha256sum | cut -c1-16)
	have=$(cat "$applied/.sum" 2>/dev/null || true)
	[ "$want" = "$have" ] && return 0
	# Take the old series out in reverse order, then put the new one in.
	for p in $(ls -r "$applied"/*.patch 2>/dev/null); do
		patch -s -R -p1 -d "$src" < "$p" || die "cannot reverse $p; delete $HLRS_CACHE/linux-src and the stamps to start over"
	done
	rm -f "$applied"/*.patch "$applied/.sum"
	for p in "$HLRS_TOP"/patches/*.patch; do
		[ -e "$p" ] || continue
		say "applying $(basename "$p")"
		patch -s -N -p1 -d "$src" < "$p" || die "$(basename "$p") does not apply to $src"
		cp "$p" "$applied/"
	done
	echo "$want" > "$applied/.sum"
}

overlay() {
	local d
	for d in drivers/accel/habanalabs_rs rust include; do
		[ -d "$HLRS_TOP/$d" ] || continue
		mkdir -p "$src/$d"
		# By content, and without the sources' times: a file that changed gets the time of
		# the copy, so make rebuilds it even when an older checkout (another clone building
		# in the same cache) had left newer objects behind.
		rsync -rlpc "$HLRS_TOP/$d/" "$src/$d/"
	done
}

configure() {
	local want have
	want=$(cat "$FRAG" | sha256sum | cut -c1-16)
	have=$(cat "$B/.frag-sum" 2>/dev/null || true)
	[ "$want" = "$have" ] && [ -f "$B/.config" ] && return 0
	say "configuring: tinyconfig + $(basename "$FRAG")"
	"${KMAKE[@]}" tinyconfig >/dev/null
	KCONFIG_CONFIG="$B/.config" "$src/scripts/kconfig/merge_config.sh" -m -O "$B" "$B/.config" "$FRAG" >/dev/null
	"${KMAKE[@]}" olddefconfig >/dev/null
	check_config
	echo "$want" > "$B/.frag-sum"
}

# Every symbol of the fragment must have the value the fragment gives it.
check_config() {
	local bad=0 line sym val got
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*) sym=${line%%=*}; val=${line#*=} ;;
		"# CONFIG_"*" is not set") sym=${line#\# }; sym=${sym%% *}; val=n ;;
		*) continue ;;
		esac
		got=$(grep -E "^$sym=|^# $sym is not set" "$B/.config" | head -n1 || true)
		case "$got" in
		"$sym=$val") ;;
		"# $sym is not set") [ "$val" = n ] || { echo "config: $sym=$val wanted, not set" >&2; bad=1; } ;;
		"") [ "$val" = n ] || { echo "config: $sym=$val wanted, not available" >&2; bad=1; } ;;
		*) echo "config: $sym=$val wanted, got ${got#*=}" >&2; bad=1 ;;
		esac
	done < "$FRAG"
	[ $bad = 0 ] || die "the kernel configuration lacks symbols of $FRAG (see above); check their dependencies"
}

# The test importer of dma-bufs (tools/testing/habanalabs_rs/importer), an external module
# built into the build tree (MO=), never into the checkout.
IMPORTER=(M="$HLRS_TOP/tools/testing/habanalabs_rs/importer" MO="$B/hl_importer")

install_modules() {
	rm -rf "$MODROOT"
	"${KMAKE[@]}" INSTALL_MOD_PATH="$MODROOT" INSTALL_MOD_STRIP=1 modules_install >/dev/null
	"${KMAKE[@]}" "${IMPORTER[@]}" INSTALL_MOD_PATH="$MODROOT" INSTALL_MOD_STRIP=1 \
		modules_install >/dev/null
}

case "$what" in
prepare) apply_patches; overlay ;;
config) apply_patches; overlay; configure ;;
build)
	apply_patches; overlay; configure
	say "building the kernel and modules in $B (-j$JOBS)"
	"${KMAKE[@]}" bzImage modules
	mkdir -p "$B/hl_importer"
	"${KMAKE[@]}" "${IMPORTER[@]}" modules
	install_modules
	# User-space headers (with the project's uapi header) for the selftests.
	"${KMAKE[@]}" headers_install INSTALL_HDR_PATH="$HLRS_CACHE/uapi-headers" >/dev/null
	;;
module)
	# After a change to the driver only: rebuild modules and refresh ours in $MODROOT.
	apply_patches; overlay; configure
	[ -d "$MODROOT/lib/modules" ] || die "no installed modules yet: run '$0 build' once"
	say "building modules (habanalabs_rs)"
	"${KMAKE[@]}" modules
	ko=$(find "$MODROOT/lib/modules" -name habanalabs_rs.ko)
	[ -n "$ko" ] || { install_modules; exit 0; }
	llvm-strip --strip-debug -o "$ko" "$B/drivers/accel/habanalabs_rs/habanalabs_rs.ko"
	;;
clippy)
	# The driver built with clippy, every warning an error.
	apply_patches; overlay; configure
	"${KMAKE[@]}" CLIPPY=1 KRUSTFLAGS="-D warnings" drivers/accel/habanalabs_rs/habanalabs_rs.o
	;;
*) die "usage: $0 [prepare|config|build|module|clippy]" ;;
esac

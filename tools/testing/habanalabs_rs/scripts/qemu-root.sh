#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Builds a minimal Debian trixie root under $HLRS_CACHE/qemu-root holding QEMU >= 10.1
# (trixie-backports) with vfio-user-pci. The host's libraries and apt sources stay as
# they are: QEMU runs from that root through the root's own dynamic loader (see qemu.sh).
. "$(dirname "$0")/lib.sh"

root=$HLRS_CACHE/qemu-root
stamp=$HLRS_CACHE/stamps/qemu-root-v1
[ -f "$stamp" ] && exit 0

[ "$(id -u)" = 0 ] || die "need root to debootstrap the QEMU root"
uri=$(debian_uri)
rm -rf "$root"
say "debootstrap trixie (minbase) into $root"
debootstrap --variant=minbase trixie "$root" "$uri" > "$HLRS_CACHE/debootstrap.log" 2>&1 ||
	{ tail -n 20 "$HLRS_CACHE/debootstrap.log"; die "debootstrap failed (log: $HLRS_CACHE/debootstrap.log)"; }
cat > "$root/etc/apt/sources.list" <<SRC
deb $uri trixie main
deb $uri trixie-backports main
SRC
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
say "installing qemu-system-x86 from trixie-backports inside it"
chroot "$root" /usr/bin/env DEBIAN_FRONTEND=noninteractive apt-get -q update > "$HLRS_CACHE/qemu-apt.log" 2>&1
chroot "$root" /usr/bin/env DEBIAN_FRONTEND=noninteractive apt-get -q install -y \
	--no-install-recommends -t trixie-backports qemu-system-x86 >> "$HLRS_CACHE/qemu-apt.log" 2>&1 ||
	{ tail -n 20 "$HLRS_CACHE/qemu-apt.log"; die "installing QEMU failed (log: $HLRS_CACHE/qemu-apt.log)"; }
chroot "$root" apt-get clean
"$(dirname "$0")/qemu.sh" -device help 2>/dev/null | grep -q vfio-user-pci ||
	die "the QEMU in $root has no vfio-user-pci device"
touch "$stamp"
say "QEMU: $("$(dirname "$0")/qemu.sh" --version | head -n1)"

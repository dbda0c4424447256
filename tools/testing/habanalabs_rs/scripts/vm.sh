#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boots the test kernel in QEMU (TCG) with emulated Gaudis, runs a job in the guest and waits
# for it, for a crash, or for the timeout.
#
# Usage: vm.sh [options] JOB_SCRIPT [EXTRA_FILE...]
#   --devices N       emulated Gaudis (default 1)
#   --bad-devices N   extra devices with a 32 MiB BAR0, which drivers must refuse (default 0)
#   --hbm-size SIZE   HBM per device (default 32G; sparse)
#   --timeout SECS    give up after this long (default 600)
#   --out DIR         where the console and model logs go (default: a new folder under
#                     $HLRS_CACHE/runs)
#   --interactive     console on this terminal (for a shell in the guest)
# The job script runs as /hlrs/job.sh with HLRS_DEVICES, HLRS_BAD_DEVICES and HLRS_HBM_BAR_SIZE
# set; EXTRA_FILEs are copied to /hlrs/bin. Exit status: 0 when the job ran to its end (its own
# status is on the console as "HLRS-END rc=N"), 1 on timeout, crash or a model failure.
. "$(dirname "$0")/lib.sh"

devices=1 bad=0 hbm=32G timeout=600 out="" interactive=0 hbm_bar=$((1 << 30))
while [ $# -gt 0 ]; do
	case "$1" in
	--devices) devices=$2; shift 2 ;;
	--bad-devices) bad=$2; shift 2 ;;
	--hbm-size) hbm=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--interactive) interactive=1; shift ;;
	-*) die "unknown option $1" ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || die "usage: $0 [options] JOB_SCRIPT [EXTRA_FILE...]"
job=$1; shift
[ -f "$job" ] || die "no job script $job"
[ -z "$out" ] && out=$HLRS_CACHE/runs/$(date +%Y%m%d-%H%M%S)-$$
mkdir -p "$out"
KERNEL=$HLRS_CACHE/build/arch/x86/boot/bzImage
MODEL=${CARGO_TARGET_DIR:-$HLRS_CACHE/cargo-target}/release/hl-model
[ -f "$KERNEL" ] || die "no kernel at $KERNEL: run 'make kernel'"
[ -x "$MODEL" ] || die "no model at $MODEL: run 'make model'"

# The job, with the environment the suites expect.
{
	echo "export HLRS_DEVICES=$devices HLRS_BAD_DEVICES=$bad HLRS_HBM_BAR_SIZE=$hbm_bar"
	cat "$job"
} > "$out/job.sh"
"$HLRS_TOP/tools/testing/habanalabs_rs/scripts/initramfs.sh" "$out/job.sh" "$out/initramfs.gz" "$@"

pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	[ -n "${qpid:-}" ] && kill "$qpid" 2>/dev/null || true
	wait 2>/dev/null || true
}
trap cleanup EXIT

# One model per device; the socket path is short so it fits sun_path.
sockdir=$(mktemp -d /tmp/hlrs.XXXXXX)
devargs=()
total=$((devices + bad))
# All devices sit behind one PCIe switch, as Gaudis do in a server, so that peer-to-peer
# between them goes through the switch.
devargs+=(-device pcie-root-port,id=rp0,bus=pcie.0,chassis=1,slot=0)
devargs+=(-device x3130-upstream,id=sw0,bus=rp0)
for i in $(seq 0 $((total - 1))); do
	extra=()
	[ "$i" -ge "$devices" ] && extra=(--sram-bar-size 32M)
	"$MODEL" --socket "$sockdir/g$i.sock" --control "$sockdir/c$i.sock" \
		--hbm-size "$hbm" --hbm-bar-size "$hbm_bar" \
		--log-level "${HLRS_MODEL_LOG:-info}" "${extra[@]}" > "$out/model$i.log" 2>&1 &
	pids+=($!)
	devargs+=(-device "xio3130-downstream,id=dp$i,bus=sw0,chassis=$((i + 2)),slot=0")
	devargs+=(-device "{\"driver\":\"vfio-user-pci\",\"socket\":{\"path\":\"$sockdir/g$i.sock\",\"type\":\"unix\"},\"bus\":\"dp$i\"}")
done
for i in $(seq 0 $((total - 1))); do
	for _ in $(seq 50); do [ -S "$sockdir/g$i.sock" ] && break; sleep 0.1; done
	[ -S "$sockdir/g$i.sock" ] || { cat "$out/model$i.log"; die "model $i did not start"; }
done

mem=2G
qemu=("$HLRS_TOP/tools/testing/habanalabs_rs/scripts/qemu.sh" -accel tcg -cpu max,la57=off -smp 2 -m $mem
	-object memory-backend-memfd,id=mem,size=$mem,share=on -machine q35,memory-backend=mem
	-kernel "$KERNEL" -initrd "$out/initramfs.gz" -no-reboot -display none
	-append "console=ttyS0 panic=-1 oops=panic kasan.fault=report loglevel=7 ${HLRS_APPEND:-}"
	"${devargs[@]}")

# ttyS1 carries model control commands from guest tests to the models (see control.rs).
ctl=(-chardev "socket,id=hlctl,path=$sockdir/serial1.sock,server=on,wait=off" -serial chardev:hlctl)
start_relay() {
	for _ in $(seq 100); do [ -S "$sockdir/serial1.sock" ] && break; sleep 0.1; done
	ctls=()
	for i in $(seq 0 $((total - 1))); do ctls+=("$sockdir/c$i.sock"); done
	"$MODEL" relay --serial "$sockdir/serial1.sock" "${ctls[@]}" > "$out/relay.log" 2>&1 &
	pids+=($!)
	relay_idx=$((${#pids[@]} - 1))
}

start=$(now)
deadline=$(($(date +%s) + timeout))
if [ $interactive = 1 ]; then
	# A background job of a script gets /dev/null as stdin unless told otherwise: keep the
	# terminal.
	"${qemu[@]}" -serial mon:stdio "${ctl[@]}" 0<&0 &
	qpid=$!
	start_relay
	wait "$qpid"
	qpid=""
	exit 0
fi
"${qemu[@]}" -serial "file:$out/console.log" "${ctl[@]}" -monitor none > "$out/qemu.log" 2>&1 &
qpid=$!
start_relay
status=ok
while kill -0 "$qpid" 2>/dev/null; do
	if [ "$(date +%s)" -ge "$deadline" ]; then status="timeout after ${timeout}s"; break; fi
	for j in "${!pids[@]}"; do
		[ "$j" = "$relay_idx" ] && continue
		if ! kill -0 "${pids[$j]}" 2>/dev/null; then
			wait "${pids[$j]}"; rc=$?
			[ $rc = 0 ] || { status="model $j exited with status $rc"; break 2; }
		fi
	done
	sleep 0.2
done
elapsed=$(awk "BEGIN{printf \"%.1f\", $(now) - $start}")
if [ "$status" = ok ]; then
	wait "$qpid" || true
	qpid=""
	grep -q '^HLRS-END rc=' "$out/console.log" || status="the guest stopped before the job ended"
fi
# Models exit on their own once QEMU disconnects; a non-zero exit is a model failure.
for j in "${!pids[@]}"; do
	[ "$j" = "$relay_idx" ] && continue
	for _ in $(seq 20); do kill -0 "${pids[$j]}" 2>/dev/null || break; sleep 0.1; done
	if ! kill -0 "${pids[$j]}" 2>/dev/null; then
		wait "${pids[$j]}"; rc=$?
		[ $rc = 0 ] || [ "$status" != ok ] || status="model $j exited with status $rc"
	fi
done
rm -rf "$sockdir"
echo "$elapsed" > "$out/elapsed"
if [ "$status" != ok ]; then
	echo "VM run failed: $status (after ${elapsed}s); logs in $out" >&2
	echo "--- console (last 40 lines) ---" >&2
	tail -n 40 "$out/console.log" >&2 || true
	for i in $(seq 0 $((total - 1))); do
		echo "--- model $i (last 15 lines) ---" >&2
		tail -n 15 "$out/model$i.log" >&2 || true
	done
	[ -s "$out/qemu.log" ] && { echo "--- qemu ---" >&2; tail -n 15 "$out/qemu.log" >&2; }
	exit 1
fi
exit 0

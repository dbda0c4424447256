# SPDX-License-Identifier: GPL-2.0
# Platform suite: habanalabs_rs binds every emulated Gaudi, refuses a device whose BARs are not
# Gaudi's, takes the device's MSI, and unbinds, rebinds and unloads cleanly, over and over.
# Environment from the harness: HLRS_DEVICES (Gaudis), HLRS_BAD_DEVICES (devices with a 32 MiB
# BAR0), HLRS_HBM_BAR_SIZE (bytes of BAR4).

SRAM_BAR=$((64 << 20))
CFG_BAR=$((128 << 20))
DRV=/sys/bus/pci/drivers/habanalabs_rs

good_devices() { for d in $(gaudi_devices); do [ "$(bar_size "$d" 0)" = $SRAM_BAR ] && echo "$d"; done; }
bad_devices() { for d in $(gaudi_devices); do [ "$(bar_size "$d" 0)" != $SRAM_BAR ] && echo "$d"; done; }

# Waits until every Gaudi device is bound (bind is synchronous, this is belt and braces).
all_bound() {
	for d in $(good_devices); do
		[ "$(bound_driver "$d")" = habanalabs_rs ] || return 1
	done
}

test_devices_enumerated() {
	n=$(gaudi_devices | wc -l)
	[ "$n" = $((HLRS_DEVICES + HLRS_BAD_DEVICES)) ] ||
		fail "found $n devices 1da3:1000, expected $((HLRS_DEVICES + HLRS_BAD_DEVICES))"
	for d in $(gaudi_devices); do
		[ "$(cat /sys/bus/pci/devices/$d/class)" = 0x120000 ] || fail "$d: class $(cat /sys/bus/pci/devices/$d/class)"
		echo "$d: 1da3:1000 class 0x120000"
	done
}

test_module_loads() {
	modprobe habanalabs_rs || fail "modprobe habanalabs_rs failed"
	grep -q '^habanalabs_rs ' /proc/modules || fail "habanalabs_rs not in /proc/modules"
}

test_binds_every_gaudi() {
	[ "$(good_devices | wc -l)" = "$HLRS_DEVICES" ] || fail "expected $HLRS_DEVICES good devices"
	for d in $(good_devices); do
		[ "$(bound_driver "$d")" = habanalabs_rs ] || fail "$d is not bound to habanalabs_rs"
		dmesg | grep -q "habanalabs_rs $d: bound" || fail "$d: no 'bound' message"
		echo "$d: bound to habanalabs_rs"
	done
}

test_bar_sizes() {
	for d in $(good_devices); do
		[ "$(bar_size "$d" 0)" = $SRAM_BAR ] || fail "$d: BAR0 $(bar_size "$d" 0)"
		[ "$(bar_size "$d" 2)" = $CFG_BAR ] || fail "$d: BAR2 $(bar_size "$d" 2)"
		[ "$(bar_size "$d" 4)" = "$HLRS_HBM_BAR_SIZE" ] || fail "$d: BAR4 $(bar_size "$d" 4)"
		dmesg | grep -q "habanalabs_rs $d: Gaudi at rev 1: SRAM BAR 64 MiB, CFG BAR 128 MiB, HBM BAR $((HLRS_HBM_BAR_SIZE >> 20)) MiB" ||
			fail "$d: the driver did not report the BARs it mapped"
	done
}

test_msi_received() {
	for d in $(good_devices); do
		dmesg | grep -q "habanalabs_rs $d: MSI self-test: interrupt received" || fail "$d: no MSI self-test"
		irq=$(cat /sys/bus/pci/devices/$d/irq)
		[ -d "/sys/bus/pci/devices/$d/msi_irqs" ] || fail "$d: MSI not enabled"
		count=$(awk -v irq="$irq:" '$1 == irq { s = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i; print s }' /proc/interrupts)
		[ "${count:-0}" -ge 1 ] || fail "$d: /proc/interrupts shows ${count:-no} interrupts on IRQ $irq"
		echo "$d: MSI on IRQ $irq, $count interrupt(s)"
	done
}

test_refuses_non_gaudi_bars() {
	[ "$(bad_devices | wc -l)" = "$HLRS_BAD_DEVICES" ] || fail "expected $HLRS_BAD_DEVICES bad devices"
	[ "$HLRS_BAD_DEVICES" -ge 1 ] || fail "the harness started no device with a wrong BAR0"
	for d in $(bad_devices); do
		[ -z "$(bound_driver "$d")" ] || fail "$d has a 32 MiB BAR0 and was bound"
		dmesg | grep -q "habanalabs_rs $d: BAR0 is 0x2000000 bytes, a Gaudi's is 0x4000000" ||
			fail "$d: refusal not reported"
		echo "$d: refused (BAR0 32 MiB)"
	done
}

test_unbind_rebind_10_times() {
	before=$(dmesg_count "MSI self-test: interrupt received")
	for i in 1 2 3 4 5 6 7 8 9 10; do
		for d in $(good_devices); do
			echo "$d" > $DRV/unbind || fail "unbind $d (round $i)"
			[ -z "$(bound_driver "$d")" ] || fail "$d still bound after unbind (round $i)"
			[ "$(cat /sys/bus/pci/devices/$d/enable)" = 0 ] ||
				fail "$d still enabled after unbind (round $i): the enable count leaked"
			echo "$d" > $DRV/bind || fail "bind $d (round $i)"
			[ "$(bound_driver "$d")" = habanalabs_rs ] || fail "$d not bound again (round $i)"
		done
	done
	after=$(dmesg_count "MSI self-test: interrupt received")
	[ $((after - before)) = $((10 * HLRS_DEVICES)) ] ||
		fail "$((after - before)) MSI self-tests passed, expected $((10 * HLRS_DEVICES))"
	echo "10 unbind/bind rounds on $HLRS_DEVICES device(s)"
}

test_rmmod_modprobe_10_times() {
	for i in 1 2 3 4 5 6 7 8 9 10; do
		rmmod habanalabs_rs || fail "rmmod (round $i)"
		! grep -q '^habanalabs_rs ' /proc/modules || fail "still loaded (round $i)"
		for d in $(good_devices); do
			[ -z "$(bound_driver "$d")" ] || fail "$d bound with the module gone"
			[ "$(cat /sys/bus/pci/devices/$d/enable)" = 0 ] || fail "$d still enabled with the module gone"
		done
		modprobe habanalabs_rs || fail "modprobe (round $i)"
		all_bound || fail "not every device bound after modprobe (round $i)"
	done
	echo "10 rmmod/modprobe rounds"
}

test_failed_probe_unwinds_and_spares_the_others() {
	set -- $(good_devices)
	[ $# -ge 2 ] || fail "needs two Gaudis"
	victim=$1 other=$2
	# The model drops the next MSI of the victim: its self-test must fail, probe must undo
	# everything, and the other device must stay bound.
	echo "$victim" > $DRV/unbind
	model_ctl 0 drop-msi 1 > /dev/null || fail "model control channel"
	echo "$victim" > $DRV/bind 2>/dev/null && fail "bind succeeded without an interrupt"
	[ -z "$(bound_driver "$victim")" ] || fail "$victim bound after a failed probe"
	[ "$(cat /sys/bus/pci/devices/$victim/enable)" = 0 ] || fail "$victim left enabled after a failed probe"
	dmesg | grep -q "habanalabs_rs $victim: MSI self-test: no interrupt within" || fail "failure not reported"
	[ "$(bound_driver "$other")" = habanalabs_rs ] || fail "$other lost its driver"
	[ "$(model_stat 0 msi_dropped_by_fault)" = 1 ] || fail "the model did not drop the MSI"
	echo "$victim" > $DRV/bind || fail "rebind after the fault"
	[ "$(bound_driver "$victim")" = habanalabs_rs ] || fail "$victim not bound again"
	echo "$victim: probe failed cleanly with the MSI dropped, bound again after"
}

test_upstream_c_driver_built_not_loaded() {
	ko=$(find /lib/modules -name habanalabs.ko)
	[ -n "$ko" ] || fail "the upstream C driver habanalabs.ko is not installed"
	! grep -q '^habanalabs ' /proc/modules || fail "the C driver is loaded"
	echo "present, not loaded: ${ko#/lib/modules/}"
}

test_no_kmemleak_reports() {
	[ -w /sys/kernel/debug/kmemleak ] || fail "kmemleak is not available"
	# kmemleak reports objects unreferenced for 5 s and over two scans.
	sleep 6
	echo scan > /sys/kernel/debug/kmemleak
	echo scan > /sys/kernel/debug/kmemleak
	leaks=$(cat /sys/kernel/debug/kmemleak)
	[ -z "$leaks" ] || { echo "$leaks" | head -40; fail "kmemleak reported leaks"; }
}

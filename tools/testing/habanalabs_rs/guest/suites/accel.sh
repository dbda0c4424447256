# SPDX-License-Identifier: GPL-2.0
# The accel node and the driver core, from user space: firmware boot, open rules, INFO, and
# what happens when processes die or devices go away with the node open. The checks that
# need ioctls live in /hlrs/bin/hl_selftest (selftests/hl_selftest.c).

T=/hlrs/bin/hl_selftest
FW=/lib/firmware/habanalabs/gaudi

# bound_gaudis: PCI addresses of the emulated Gaudis habanalabs_rs drives (the harness also
# adds a device with a wrong BAR size, which the driver refuses).
bound_gaudis() {
	for d in $(gaudi_devices); do
		[ "$(bound_driver "$d")" = habanalabs_rs ] && echo "$d"
	done
}

# first_gaudi: PCI address of the first bound Gaudi.
first_gaudi() { bound_gaudis | head -n 1; }


test_nodes_exist_per_device() {
	n=$(bound_gaudis | wc -l)
	[ "$n" -ge 2 ] || fail "expected two bound Gaudis, found $n"
	[ "$(ls /dev/accel/ | grep -c '^accel[0-9]')" = "$n" ] || fail "expected $n accel nodes: $(ls /dev/accel)"
	$T version
}

test_firmware_booted_on_every_device() {
	for d in $(bound_gaudis); do
		dmesg | grep -q "habanalabs_rs $d: firmware: preboot .*boot-fit .*CPU-CP" ||
			fail "$d: no firmware line in the kernel log"
	done
	# The model saw the CPU queues come up and the host ask for events.
	[ "$(model_stat 0 cpucp_packets)" -gt 0 ] || fail "device CPU served no packets"
}

test_one_compute_context_at_a_time() { $T exclusive; }
test_open_counter_counts_opens() { $T open-counter; }
test_hw_ip_info_has_gaudi_values() { $T hw-ip-info; }
test_short_buffer_truncates_long_buffer_is_exact() { $T buffers; }
test_bad_arguments_get_upstream_errno() { $T bad-args; }
test_status_counters_and_memory_accounting() { $T status; }
test_values_from_the_device_cpu() { $T firmware-values; }
test_idle_engines_and_their_status() { $T idle; }
test_attestation_and_generic_requests_reach_the_firmware() { $T attestation; }
test_device_clock_and_host_time() { $T time-sync; }

test_sysfs_attributes_runtimes_read() {
	for d in $(bound_gaudis); do
		a=/sys/bus/pci/devices/$d
		[ "$(cat $a/device_type)" = GAUDI ] || fail "$d device_type: $(cat $a/device_type)"
		[ "$(cat $a/status)" = Operational ] || fail "$d status: $(cat $a/status)"
		[ "$(cat $a/pci_addr)" = "$d" ] || fail "$d pci_addr: $(cat $a/pci_addr)"
		[ "$(cat $a/parent_device)" = "$d" ] || fail "$d parent_device"
		[ "$(cat $a/hard_reset_cnt)" = 0 ] || fail "$d hard_reset_cnt"
		[ "$(cat $a/security_enabled)" = 0 ] || fail "$d security_enabled"
		[ "$(cat $a/clk_max_freq_mhz)" = 2200 ] || fail "$d clk_max_freq_mhz: $(cat $a/clk_max_freq_mhz)"
		[ "$(cat $a/clk_cur_freq_mhz)" = 2200 ] || fail "$d clk_cur_freq_mhz"
		[ "$(cat $a/max_power)" = 200000 ] || fail "$d max_power: $(cat $a/max_power)"
		grep -q . $a/cpucp_ver || fail "$d cpucp_ver empty"
		grep -q "Preboot" $a/preboot_btl_ver || fail "$d preboot_btl_ver: $(cat $a/preboot_btl_ver)"
		grep -q "fw-" $a/uboot_ver || fail "$d uboot_ver: $(cat $a/uboot_ver)"
		grep -q "^0x[0-9a-f]\{16\}$" $a/cpld_ver || fail "$d cpld_ver: $(cat $a/cpld_ver)"
		case "$(cat $a/module_id)" in ''|*[!0-9]*) fail "$d module_id" ;; esac
		[ "$(stat -c %a $a/status)" = 444 ] || fail "$d status not read-only"
		[ "$(stat -c %a $a/max_power)" = 644 ] && [ "$(stat -c %a $a/clk_max_freq_mhz)" = 644 ] &&
			[ "$(stat -c %a $a/hard_reset)" = 200 ] || fail "$d writable attributes' modes"
		echo "$d: $(cat $a/device_type), $(cat $a/status), CPU-CP $(cat $a/cpucp_ver)"
	done
}

test_eeprom_is_the_boards_as_the_device_cpu_reads_it() {
	for d in $(bound_gaudis); do
		e=/sys/bus/pci/devices/$d/eeprom
		[ "$(stat -c %a $e)" = 444 ] || fail "$d eeprom mode $(stat -c %a $e)"
		[ "$(stat -c %s $e)" = 4096 ] || fail "$d eeprom size $(stat -c %s $e)"
		[ "$(cat $e | wc -c)" = 4096 ] || fail "$d eeprom read: $(cat $e | wc -c) bytes"
		# The emulated board's EEPROM text (31 bytes with its NUL), then zeros.
		[ "$(head -c 30 $e)" = "hl-model emulated Gaudi EEPROM" ] || fail "$d eeprom: $(head -c 30 $e)"
		[ "$(tail -c 4065 $e | tr -d '\000' | wc -c)" = 0 ] || fail "$d eeprom not zero past the text"
		# A read at an offset gets the bytes at that offset.
		[ "$(dd if=$e bs=1 skip=9 count=8 2>/dev/null)" = emulated ] || fail "$d eeprom at offset 9"
		echo "$d: eeprom \"$(head -c 30 $e)\""
	done
}

test_writable_sysfs_attributes_reach_the_firmware_and_outlive_a_reset() {
	d=$(bound_gaudis | head -1)
	a=/sys/bus/pci/devices/$d
	echo 150000 > $a/max_power || fail "max_power write failed"
	[ "$(cat $a/max_power)" = 150000 ] || fail "max_power reads $(cat $a/max_power)"
	echo 0x5dc > $a/clk_max_freq_mhz || fail "clk_max_freq_mhz write failed"
	[ "$(cat $a/clk_max_freq_mhz)" = 1500 ] || fail "clk_max_freq_mhz reads $(cat $a/clk_max_freq_mhz)"
	for bad in bogus -1 "1 2" 99999999999999999999; do
		echo "$bad" > $a/max_power 2>/dev/null && fail "max_power took '$bad'"
		echo "$bad" > $a/hard_reset 2>/dev/null && fail "hard_reset took '$bad'"
	done
	[ "$(cat $a/max_power)" = 150000 ] || fail "a refused write changed max_power"
	# A reset through sysfs; the firmware comes back with its defaults, the driver gives it
	# the values set above again.
	before=$(cat $a/hard_reset_cnt)
	echo 1 > $a/hard_reset || fail "hard_reset write failed"
	for i in $(seq 600); do
		[ "$(cat $a/hard_reset_cnt)" = $((before + 1)) ] && [ "$(cat $a/status)" = Operational ] && break
		sleep 0.1
	done
	[ "$(cat $a/hard_reset_cnt)" = $((before + 1)) ] || fail "no reset after writing hard_reset"
	[ "$(cat $a/status)" = Operational ] || fail "status $(cat $a/status) after the reset"
	dmesg | grep -q "hard reset requested through sysfs" || fail "the reset was not reported"
	[ "$(cat $a/max_power)" = 150000 ] || fail "max_power after the reset: $(cat $a/max_power)"
	[ "$(cat $a/clk_max_freq_mhz)" = 1500 ] || fail "clock after the reset: $(cat $a/clk_max_freq_mhz)"
	echo 200000 > $a/max_power
	echo 2200 > $a/clk_max_freq_mhz
	echo "$d: power limit and clock kept across a sysfs reset"
}

test_hwmon_sensors_from_the_firmware() {
	n=0
	for h in /sys/class/hwmon/hwmon*; do
		[ "$(cat $h/name)" = HL205 ] || continue
		n=$((n + 1))
		d=$(basename "$(readlink -f $h/device)")
		[ "$(bound_driver "$d")" = habanalabs_rs ] || fail "$h belongs to $d"
		# The emulated firmware's sensors: two temperatures, a voltage, a current, a fan.
		[ "$(cat $h/temp1_input)" = 40000 ] || fail "$h temp1_input $(cat $h/temp1_input)"
		[ "$(cat $h/temp2_input)" = 41000 ] || fail "$h temp2_input $(cat $h/temp2_input)"
		[ "$(cat $h/temp1_max)" = 95000 ] || fail "$h temp1_max"
		[ "$(cat $h/temp1_crit)" = 105000 ] || fail "$h temp1_crit"
		[ "$(cat $h/in0_input)" = 850 ] && [ "$(cat $h/in0_min)" = 750 ] &&
			[ "$(cat $h/in0_max)" = 950 ] || fail "$h voltage"
		[ "$(cat $h/curr1_input)" = 80000 ] || fail "$h curr1_input"
		[ "$(cat $h/fan1_input)" = 6000 ] || fail "$h fan1_input"
		ls $h | grep -q '^power1_' || fail "$h has no power sensor"
		[ -e $h/pwm1 ] || fail "$h has no fan control"
		[ ! -e $h/temp3_input ] || fail "$h has a sensor the firmware did not list"
	done
	[ $n = "$(bound_gaudis | wc -l)" ] || fail "$n hwmon devices for $(bound_gaudis | wc -l) Gaudis"
}

test_writable_hwmon_attributes_reach_the_firmware() {
	for h in /sys/class/hwmon/hwmon*; do
		[ "$(cat $h/name)" = HL205 ] || continue
		# Upstream's modes, for what the firmware lists: an offset, history and fan control
		# on the first temperature, the voltage and the fan; nothing on the second sensor.
		for a in temp1_offset:644 temp1_reset_history:200 temp1_highest:444 temp1_input:444 \
			in0_reset_history:200 in0_highest:444 pwm1:644 pwm1_enable:644; do
			[ "$(stat -c %a $h/${a%:*})" = ${a#*:} ] || fail "$h ${a%:*} mode $(stat -c %a $h/${a%:*})"
		done
		[ ! -e $h/temp2_offset ] || fail "$h temp2_offset, which the firmware did not list"
		t=$(cat $h/temp1_input)
		# The offset is kept by the firmware and moves the reading.
		echo -2500 > $h/temp1_offset || fail "$h temp1_offset write"
		[ "$(cat $h/temp1_offset)" = -2500 ] || fail "$h temp1_offset $(cat $h/temp1_offset)"
		[ "$(cat $h/temp1_input)" = $((t - 2500)) ] || fail "$h temp1_input $(cat $h/temp1_input)"
		# The highest reading survives until its history is reset.
		[ "$(cat $h/temp1_highest)" = $t ] || fail "$h temp1_highest $(cat $h/temp1_highest)"
		echo 1 > $h/temp1_reset_history || fail "$h temp1_reset_history write"
		[ "$(cat $h/temp1_highest)" = $((t - 2500)) ] || fail "$h history not reset"
		echo 0 > $h/temp1_offset
		echo 1 > $h/in0_reset_history || fail "$h in0_reset_history write"
		[ "$(cat $h/in0_highest)" = 850 ] || fail "$h in0_highest"
		# Fan control: a duty cycle and a mode; the firmware refuses 300 (logged), as upstream
		# the write itself succeeds.
		echo 200 > $h/pwm1 && [ "$(cat $h/pwm1)" = 200 ] || fail "$h pwm1 $(cat $h/pwm1)"
		echo 1 > $h/pwm1_enable && [ "$(cat $h/pwm1_enable)" = 1 ] || fail "$h pwm1_enable"
		dmesg -c > /dev/null
		echo 300 > $h/pwm1 || fail "$h pwm1 write of 300 failed"
		[ "$(cat $h/pwm1)" = 200 ] || fail "$h pwm1 took 300"
		dmesg | grep -q "firmware refused setting" || fail "$h refusal not logged"
		echo 128 > $h/pwm1
		echo 2 > $h/pwm1_enable
		echo "$h: offset, history resets and fan control reach the firmware"
	done
}

test_events_reach_the_driver_and_are_unmasked() {
	# DMA0_QM (event 583), a recoverable error: the driver counts it and unmasks it in the
	# firmware, so a second one is delivered too (the firmware masks an event until then).
	before=$($T event-count 583)
	model_ctl 0 event 583 > /dev/null || fail "model refused to raise the event"
	# The firmware drops the second until the driver has unmasked the first (10 s at most).
	for i in $(seq 100); do model_ctl 0 event 583 > /dev/null && break; sleep 0.1; done
	[ $i -lt 100 ] || fail "second event not delivered: the driver did not unmask"
	for i in $(seq 100); do [ "$($T event-count 583)" = $((before + 2)) ] && break; sleep 0.1; done
	after=$($T event-count 583)
	[ "$after" = $((before + 2)) ] || fail "event count $before -> $after"
	dmesg | grep -q "event 583 from the device" || fail "event not logged"
}

test_throttling_events_are_reported() {
	set -- $($T print-throttle)
	[ "$1" = 0 ] || fail "throttling reported before any event: $*"
	model_ctl 0 event 658 > /dev/null || fail "power throttling start not delivered"
	for i in $(seq 100); do set -- $($T print-throttle); [ "$1" = 1 ] && break; sleep 0.1; done
	[ "$1" = 1 ] && [ "$2" -gt 0 ] || fail "power throttling not reported: $*"
	# The end is unmasked-then-sent like the start: retry while the firmware drops it.
	for i in $(seq 100); do model_ctl 0 event 659 > /dev/null && break; sleep 0.1; done
	for i in $(seq 100); do set -- $($T print-throttle); [ "$1" = 0 ] && break; sleep 0.1; done
	[ "$1" = 0 ] && [ "$3" -gt 0 ] || fail "power throttling did not end with a duration: $*"
}

test_killed_process_releases_its_context() {
	$T hold > /tmp/hold.out &
	pid=$!
	for i in $(seq 50); do grep -q holding /tmp/hold.out && break; sleep 0.1; done
	grep -q holding /tmp/hold.out || fail "holder did not open the node"
	$T exclusive 2>/dev/null && fail "node opened twice while held"
	kill -9 $pid
	wait $pid 2>/dev/null || true
	$T exclusive
}

test_unbind_with_the_node_open() {
	d=$(first_gaudi)
	rm -f /tmp/open.flag
	$T after-unbind /tmp/open.flag &
	pid=$!
	for i in $(seq 50); do [ -e /tmp/open.flag ] && break; sleep 0.1; done
	[ -e /tmp/open.flag ] || fail "checker did not open the node"
	echo "$d" > /sys/bus/pci/drivers/habanalabs_rs/unbind
	rm -f /tmp/open.flag
	wait $pid || fail "ioctl on an unbound device did not fail with ENODEV"
	echo "$d" > /sys/bus/pci/drivers/habanalabs_rs/bind || fail "rebind failed"
	$T version
}

test_missing_firmware_fails_probe_cleanly() {
	d=$(first_gaudi)
	mv $FW/gaudi-fit.itb /tmp/gaudi-fit.itb
	echo "$d" > /sys/bus/pci/drivers/habanalabs_rs/unbind
	if echo "$d" > /sys/bus/pci/drivers/habanalabs_rs/bind 2>/dev/null; then
		mv /tmp/gaudi-fit.itb $FW/
		fail "bind succeeded without gaudi-fit.itb"
	fi
	mv /tmp/gaudi-fit.itb $FW/
	dmesg | tail -n 30 | grep -q "cannot load firmware habanalabs/gaudi/gaudi-fit.itb" ||
		fail "no clear error about the missing image"
	[ -z "$(bound_driver "$d")" ] || fail "device bound after a failed probe"
	# The other device never noticed, and this one binds again with the image back.
	HL_NODE=/dev/accel/accel1 $T version
	echo "$d" > /sys/bus/pci/drivers/habanalabs_rs/bind || fail "rebind with the image failed"
	$T version
}

test_corrupt_firmware_is_refused() {
	d=$(first_gaudi)
	cp $FW/gaudi-fit.itb /tmp/good.itb
	dd if=/dev/zero of=$FW/gaudi-fit.itb bs=4096 count=1 2>/dev/null
	echo "$d" > /sys/bus/pci/drivers/habanalabs_rs/unbind
	if echo "$d" > /sys/bus/pci/drivers/habanalabs_rs/bind 2>/dev/null; then
		cp /tmp/good.itb $FW/gaudi-fit.itb
		fail "bind succeeded with a corrupt image"
	fi
	cp /tmp/good.itb $FW/gaudi-fit.itb
	dmesg | tail -n 30 | grep -q "CPU-CP application did not start: boot status 9" ||
		fail "no clear error about the corrupt image"
	echo "$d" > /sys/bus/pci/drivers/habanalabs_rs/bind || fail "rebind with a good image failed"
	$T version
}

test_memory_alloc_and_free_only_account() { $T mem-accounting; }
test_map_rejects_bad_input_and_unmaps_exactly() { $T map-errors; }
test_map_honours_free_hints() { $T map-hints; }
test_many_mappings_and_close_with_some_live() { $T many-maps; }

# mmu_hex N ASID VA LEN: the bytes emulated device N reads at VA through its MMU.
mmu_hex() { model_ctl "$1" mmu-read "$2" "$3" "$4" | sed -n 's/^ok //p'; }

test_mapped_buffer_reaches_the_device_through_its_mmu() {
	rm -f /tmp/map.flag
	$T map-hold /tmp/map.flag > /tmp/map.out &
	pid=$!
	for i in $(seq 100); do [ -e /tmp/map.flag ] && break; sleep 0.1; done
	[ -e /tmp/map.flag ] || fail "mapper did not map"
	set -- $(cat /tmp/map.out)
	va=$1 probe=$2 want=$3
	got=$(mmu_hex 0 1 "$probe" 16)
	[ "$got" = "$want" ] || fail "device read $got at $probe, the buffer holds $want"
	# The other ASID (the driver's) does not see the user mapping.
	model_ctl 0 mmu-read 0 "$probe" 16 > /dev/null && fail "ASID 0 reads the user mapping"
	rm -f /tmp/map.flag
	wait $pid || fail "unmap failed"
	model_ctl 0 mmu-read 1 "$va" 4 > /dev/null && fail "still mapped after UNMAP"
	true
}

test_killed_process_leaves_no_mapping() {
	rm -f /tmp/map.flag
	$T map-hold /tmp/map.flag stay > /tmp/map.out &
	pid=$!
	for i in $(seq 100); do [ -e /tmp/map.flag ] && break; sleep 0.1; done
	[ -e /tmp/map.flag ] || fail "mapper did not map"
	set -- $(cat /tmp/map.out)
	[ "$(mmu_hex 0 1 "$2" 16)" = "$3" ] || fail "mapping not visible before the kill"
	kill -9 $pid
	wait $pid 2>/dev/null || true
	rm -f /tmp/map.flag
	model_ctl 0 mmu-read 1 "$1" 4 > /dev/null && fail "mapping survived its process"
	$T exclusive
}

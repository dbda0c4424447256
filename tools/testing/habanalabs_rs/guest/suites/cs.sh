# SPDX-License-Identifier: GPL-2.0
# Command buffers, command submission, waits, timeouts and reset, from user space, on the
# emulated Gaudi. The checks that need ioctls live in /hlrs/bin/hl_selftest
# (selftests/hl_cs.c); this file adds the model's faults, killed processes and resets.

T=/hlrs/bin/hl_selftest

# first_gaudi: PCI address of the first Gaudi habanalabs_rs drives (accel0, model device 0).
first_gaudi() {
	for d in $(gaudi_devices); do
		[ "$(bound_driver "$d")" = habanalabs_rs ] && echo "$d" && return
	done
}

# reset_count: hard resets of the first device, from sysfs.
reset_count() { cat /sys/bus/pci/devices/$(first_gaudi)/hard_reset_cnt; }

# wait_line FILE TEXT: waits up to 30 s for TEXT to appear in FILE.
wait_line() {
	for i in $(seq 300); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	fail "no '$2' in $1: $(cat "$1")"
}

# operational: waits up to 60 s for the first device to be operational.
operational() {
	for i in $(seq 600); do [ "$($T print-status)" = 0 ] && return 0; sleep 0.1; done
	fail "device not operational: status $($T print-status)"
}

test_command_buffers_create_map_destroy() { $T cb; }

test_dma_round_trips_from_4_bytes_to_64_mib() {
	$T dma 4 8 100 4096 4100 65536 1048576 4194304 16777216 67108864
	[ "$(model_stat 0 dma_bytes)" -ge $((2 * 67108864)) ] || fail "the device moved $(model_stat 0 dma_bytes) bytes"
}

test_memset_fills_hbm() { $T memset; }
test_one_cs_with_a_job_on_every_queue() { $T multi-queue; }
test_many_cs_in_flight_from_several_processes() { $T many-inflight 4 32; }
test_malformed_cbs_and_chunks_get_upstream_errno() { $T bad-cs; }

# sob_value NAME: the value of the sync object the last `wreg` run printed as NAME.
sob_value() {
	off=$(sed -n "s/^sob $1 //p" /tmp/wreg.out)
	model_ctl 0 reg-read "$off" | sed -n 's/^ok //p'
}

test_wreg32_redirects_the_write_completion_and_a_new_context_gets_it_back() {
	# A user CB writes its engine's write completion registers (value: add 3, address: one
	# of its sync objects), then copies with the completion on: the object holds 3.
	$T wreg redirect > /tmp/wreg.out || { cat /tmp/wreg.out; fail "wreg redirect failed"; }
	[ "$(sob_value user)" = 0x3 ] || fail "user sync object holds $(sob_value user), want 0x3"
	# The next context starts with the completion where the driver put it: its copy adds 1
	# to the driver's object, and the previous context's objects were cleared.
	$T wreg default > /tmp/wreg.out || { cat /tmp/wreg.out; fail "wreg default failed"; }
	[ "$(sob_value driver)" = 0x1 ] || fail "driver's sync object holds $(sob_value driver)"
	[ "$(sob_value user)" = 0x0 ] || fail "user sync object holds $(sob_value user), want 0x0"
}

test_waits_poll_time_out_and_are_interrupted() {
	model_ctl 0 hang 1 on > /dev/null || fail "cannot hang queue 1"
	rm -f /tmp/unhung
	$T wait > /tmp/wait.out 2>&1 &
	pid=$!
	wait_line /tmp/wait.out "hung CS"
	# The queue fetches again: the CS left behind completes and the file closes cleanly.
	model_ctl 0 hang 1 off > /dev/null
	touch /tmp/unhung
	wait $pid || { cat /tmp/wait.out; fail "wait checks failed"; }
	cat /tmp/wait.out
	[ "$(reset_count)" = 0 ] || fail "a reset happened"
	rm -f /tmp/unhung
}

test_full_queue_refuses_with_eagain() {
	model_ctl 0 hang 3 on > /dev/null || fail "cannot hang queue 3"
	rm -f /tmp/unhung
	$T full-queue > /tmp/full.out 2>&1 &
	pid=$!
	wait_line /tmp/full.out waiting
	model_ctl 0 hang 3 off > /dev/null
	touch /tmp/unhung
	wait $pid || { cat /tmp/full.out; fail "full-queue checks failed"; }
	cat /tmp/full.out
}

test_cs_timeout_resets_the_device_and_it_comes_back() {
	before=$(reset_count)
	model_ctl 0 hang 1 on > /dev/null || fail "cannot hang queue 1"
	$T timeout-reset || fail "timeout checks failed"
	[ "$(reset_count)" = $((before + 1)) ] || fail "sysfs hard_reset_cnt $(reset_count), was $before"
	dmesg | grep -q "command submission .* did not finish in 2 s; resetting the device" ||
		fail "no clear error about the timeout"
	dmesg | grep -q "device reset and running again" || fail "no report of the reset"
	# The hang fault went with the reset: queue 1 runs.
	$T dma 4096
}

test_killed_process_with_cs_in_flight_is_cleaned_up() {
	before=$(reset_count)
	model_ctl 0 hang 2 on > /dev/null || fail "cannot hang queue 2"
	$T inflight-hold > /tmp/hold.out 2>&1 &
	pid=$!
	wait_line /tmp/hold.out ready
	kill -9 $pid
	wait $pid 2>/dev/null || true
	# Its work was aborted by a reset; nothing of it is left and the device works.
	[ "$(reset_count)" = $((before + 1)) ] || fail "no reset after the kill"
	operational
	$T exclusive
	$T dma 1048576
}

test_fatal_event_resets_the_device() {
	before=$(reset_count)
	# DEV_RESET_REQ (646): the firmware asks for a hard reset.
	model_ctl 0 event 646 > /dev/null || fail "event not delivered"
	for i in $(seq 600); do [ "$(reset_count)" = $((before + 1)) ] && break; sleep 0.1; done
	[ "$(reset_count)" = $((before + 1)) ] || fail "no reset after the event"
	operational
	dmesg | grep -q "event 646 calls for a hard reset" || fail "no clear error"
	$T dma 65536
}

# The firmware posts event $1 while a process waits on its eventfd; the process checks the
# events and the error the driver kept.
events_of() {
	before=$(reset_count)
	$T events $1 > /tmp/events.out 2>&1 &
	pid=$!
	wait_line /tmp/events.out registered
	model_ctl 0 event $1 > /dev/null || fail "event not delivered"
	wait $pid || { cat /tmp/events.out; fail "events checks failed"; }
	cat /tmp/events.out
	# The eventfd fires when the event is handled; the reset it asked for follows.
	for i in $(seq 600); do [ "$(reset_count)" = $((before + 1)) ] && break; sleep 0.1; done
	[ "$(reset_count)" = $((before + 1)) ] || fail "no reset after the event"
	operational
}

test_a_registered_eventfd_hears_of_the_reset_and_the_hardware_error() {
	# DEV_RESET_REQ (646).
	events_of 646
}

test_a_firmware_restart_is_kept_as_a_firmware_error() {
	dmesg -c > /dev/null
	# FW_ALIVE_S (645): the firmware came back after a crash.
	events_of 645
	dmesg | grep -q "event 645 calls for a hard reset" || fail "no clear error"
}

test_recoverable_events_are_reported_as_upstream_reports_them() {
	before=$(reset_count)
	# A single-bit ECC error, a TPC's decode error, the board's high temperature, thermal
	# throttling: each reaches the eventfd with its bits, and none resets the device.
	for e in 32 215 421 660; do
		$T notify $e > /tmp/notify.out 2>&1 &
		pid=$!
		wait_line /tmp/notify.out registered
		model_ctl 0 event $e > /dev/null || fail "event $e not delivered"
		wait $pid || { cat /tmp/notify.out; fail "event $e checks failed"; }
		cat /tmp/notify.out
	done
	[ "$(reset_count)" = $before ] || fail "a recoverable event reset the device"
	operational
}

test_an_illegal_access_is_captured_and_reported() {
	before=$(reset_count)
	dmesg -c > /dev/null
	$T razwi > /tmp/razwi.out 2>&1 &
	pid=$!
	wait_line /tmp/razwi.out registered
	# DMA1's core writes between HBM and SRAM, where nothing answers.
	model_ctl 0 stray-access 1 0x4000000000 write > /dev/null || fail "no stray access"
	wait $pid || { cat /tmp/razwi.out; fail "RAZWI checks failed"; }
	cat /tmp/razwi.out
	dmesg | grep -q "illegal write (RAZWI) by DMA1" || fail "no clear error naming the engine"
	[ "$(reset_count)" = $before ] || fail "an illegal access reset the device"
	operational
	$T dma 4096
}

test_an_undefined_opcode_is_captured_and_reported() {
	before=$(reset_count)
	dmesg -c > /dev/null
	# The next CB queue 1 fetches arrives corrupted (the model's fault injection).
	model_ctl 0 corrupt-cb 1 > /dev/null || fail "cannot corrupt the next CB"
	$T undefined-opcode || { operational; fail "undefined opcode checks failed"; }
	operational
	dmesg | grep -q "DMA0 QMAN stream 1: undefined opcode" || fail "no clear error about the cause"
	[ "$(reset_count)" = $((before + 1)) ] || fail "the stopped CS did not reset the device"
	$T dma 4096
}

test_a_page_fault_is_captured_and_reported() {
	before=$(reset_count)
	$T page-fault || { operational; fail "page fault checks failed"; }
	operational
	dmesg | grep -q "MMU page fault at" || fail "no clear error about the fault"
	[ "$(reset_count)" = $((before + 1)) ] || fail "the stuck CS did not reset the device"
	$T dma 4096
}

test_reset_under_load() {
	before=$(reset_count)
	# The load lasts until the reset is over and each process completed 20 more CSs (60 s at
	# most).
	$T load 60 > /tmp/load.out 2>&1 &
	pid=$!
	for i in $(seq 300); do [ "$(grep -c running /tmp/load.out)" = 4 ] && break; sleep 0.1; done
	[ "$(grep -c running /tmp/load.out)" = 4 ] || fail "the load did not start: $(cat /tmp/load.out)"
	sleep 1
	# DEV_RESET_REQ (646): the firmware asks for a hard reset while four processes submit.
	model_ctl 0 event 646 > /dev/null || fail "event not delivered"
	wait $pid || { cat /tmp/load.out; fail "load failed"; }
	cat /tmp/load.out
	[ "$(reset_count)" = $((before + 1)) ] || fail "no reset during the load"
	# The reset happened while the processes worked: some of them saw it.
	grep -q "aborted\|refused" /tmp/load.out || fail "no load output"
	[ "$(grep -c ', 0 aborted, 0 refused' /tmp/load.out)" -lt 4 ] ||
		fail "no process noticed the reset"
	operational
	$T dma 65536
}

test_heartbeat_failure_resets_the_device() {
	before=$(reset_count)
	# The device CPU stops answering; the next heartbeat (every 10 s) notices.
	model_ctl 0 fw-silent on > /dev/null || fail "cannot silence the firmware"
	for i in $(seq 400); do [ "$(reset_count)" = $((before + 1)) ] && break; sleep 0.1; done
	[ "$(reset_count)" = $((before + 1)) ] || fail "no reset within 40 s"
	operational
	dmesg | grep -q "device heartbeat failed" || fail "no clear error"
	$T firmware-values > /dev/null || fail "device CPU does not answer after the reset"
}

test_unbind_with_cs_in_flight() {
	d=$(first_gaudi)
	model_ctl 0 hang 2 on > /dev/null || fail "cannot hang queue 2"
	$T inflight-hold > /tmp/hold.out 2>&1 &
	pid=$!
	wait_line /tmp/hold.out ready
	echo "$d" > /sys/bus/pci/drivers/habanalabs_rs/unbind
	dmesg | tail -n 20 | grep -q "command submissions aborted by the unbind" ||
		fail "no report of the aborted work"
	kill -9 $pid
	wait $pid 2>/dev/null || true
	echo "$d" > /sys/bus/pci/drivers/habanalabs_rs/bind || fail "rebind failed"
	operational
	$T dma 4096
}

test_dma_buf_export_checks_and_lifetimes() { $T export; }

test_dma_buf_outlives_its_process_and_the_binding() {
	d=$(first_gaudi)
	$T export-hold > /tmp/exp.out 2>&1 &
	pid=$!
	wait_line /tmp/exp.out ready
	# The process closed the device file; the dma-buf it holds keeps it in use.
	$T exclusive 2>/dev/null && fail "device reopened while a dma-buf holds it"
	# Unbinding with the buffer exported, then letting it go.
	echo "$d" > /sys/bus/pci/drivers/habanalabs_rs/unbind
	kill -9 $pid
	wait $pid 2>/dev/null || true
	echo "$d" > /sys/bus/pci/drivers/habanalabs_rs/bind || fail "rebind failed"
	operational
	$T exclusive
}

# second_gaudi: the other bound Gaudi (accel1, model device 1): the importing device.
second_gaudi() {
	for d in $(gaudi_devices); do
		[ "$(bound_driver "$d")" = habanalabs_rs ] && echo "$d"
	done | sed -n 2p
}

# p2p_import MODES [FDS [SEGMENT]]: a CS writes HBM of device 0, the range is exported and
# imported by the test importer on behalf of device 1 (with its DMA segments limited to
# SEGMENT bytes if given), which then reads the bus addresses it got, peer to peer; the bytes
# must be those the CS wrote. MODES and FDS (default 5) are comma-separated lists: one import
# of the same export per mode, kept on that descriptor of this shell. The importer's report
# is in /tmp/p2p.FIRST-FD.
p2p_import() {
	fds=${2:-5}
	modprobe hl_importer || fail "cannot load the test importer"
	for fd in $(echo "$fds" | tr , ' '); do
		eval "exec $fd<>/dev/hl_importer"
	done
	out=/tmp/p2p.${fds%%,*}
	HLI_FD=$fds $T p2p "$1" "$(second_gaudi)" ${3:-} > $out 2>&1 ||
		{ cat $out; fail "p2p $1 failed"; }
	cat $out
}

# p2p_probe [FD]: device 1 reads every probe address of the import on FD (5); fails unless
# it reads what HBM holds.
p2p_probe() {
	n=0
	while read -r tag bus want; do
		[ "$tag" = probe ] || continue
		got=$(model_ctl 1 dma-read "$bus" 16 | sed -n 's/^ok //p')
		[ "$got" = "$want" ] || fail "device 1 read '$got' at $bus; the CS wrote $want"
		n=$((n + 1))
	done < /tmp/p2p.${1:-5}
	[ $n -gt 0 ] || fail "nothing probed"
	echo "device 1 read $n ranges of device 0's HBM peer to peer: equal"
}

# hli_state FD [remap]: the import's state line(s), "revoked N mapped M" [and "remap RC"].
hli_state() {
	HLI_FD=$1 $T hli-${2:-state} || fail "cannot read the importer's state"
}

test_dma_buf_dynamic_importer_reads_what_a_cs_wrote() {
	p2p_import dynamic
	p2p_probe
	# The exporting process has exited; the importer still holds the buffer, which holds
	# the device file: no new context yet, and the peer still reads the same bytes.
	$T exclusive 2>/dev/null && fail "device reopened while an importer holds its dma-buf"
	p2p_probe
	exec 5<&-
	$T exclusive
}

test_dma_buf_pinned_importer_reads_what_a_cs_wrote() {
	p2p_import pinned
	p2p_probe
	exec 5<&-
	$T exclusive
}

test_dma_buf_pinned_revocable_importer_reads_what_a_cs_wrote() {
	p2p_import pinned-revocable
	p2p_probe
	exec 5<&-
	$T exclusive
}

test_dma_buf_is_split_to_the_importers_segments() {
	# 256 KiB for a device that takes 64 KiB segments: 4 entries, read across all of them.
	p2p_import dynamic 5 65536
	grep -q "^entries 4 " /tmp/p2p.5 || fail "not split into 4 entries of 64 KiB"
	p2p_probe
	exec 5<&-
	# A limit below a page cannot be served: the map fails, nothing is left attached.
	modprobe hl_importer
	exec 5<>/dev/hl_importer
	HLI_FD=5 $T p2p dynamic "$(second_gaudi)" 2048 > /tmp/p2p.5 2>&1 &&
		fail "a 2 KiB segment limit was served"
	grep -q "import failed: Invalid argument" /tmp/p2p.5 || { cat /tmp/p2p.5; fail "want EINVAL"; }
	exec 5<&-
	$T exclusive
}

test_dma_buf_importers_that_cannot_do_p2p_are_refused() {
	p2p_import static
	exec 5<&-
	p2p_import no-pci
	exec 5<&-
	$T exclusive
}

test_dma_buf_import_across_an_unbind() {
	d=$(first_gaudi)
	p2p_import dynamic,pinned-revocable,pinned 5,6,7
	p2p_probe 5
	for fd in 5 6 7; do
		[ "$(hli_state $fd)" = "revoked 0 mapped 1" ] || fail "import $fd not mapped"
	done
	dmesg -c > /dev/null
	echo "$d" > /sys/bus/pci/drivers/habanalabs_rs/unbind
	# The unbind revoked the importers that can be revoked: they unmapped, and mapping again
	# fails; the one that cannot be revoked still holds its mapping, and the unbind said so.
	for fd in 5 6; do
		st=$(hli_state $fd remap | tr '\n' ' ')
		[ "$st" = "revoked 1 mapped 0 remap -19 " ] || fail "import $fd after unbind: $st"
	done
	[ "$(hli_state 7)" = "revoked 0 mapped 1" ] || fail "the pinned import lost its mapping"
	dmesg | grep -q "1 mappings of BAR 4 held by importers that cannot be revoked" ||
		{ dmesg | tail -20; fail "the unbind did not report the pinned importer"; }
	# The importers let go after the exporter's device went: no use-after-free, no leak.
	exec 5<&- 6<&- 7<&-
	echo "$d" > /sys/bus/pci/drivers/habanalabs_rs/bind || fail "rebind failed"
	operational
	$T exclusive
}

test_nothing_leaked_by_the_cs_suite() {
	[ -w /sys/kernel/debug/kmemleak ] || fail "kmemleak is not available"
	# Everything above is closed; unload the drivers so that what they freed is freed.
	rmmod hl_importer 2>/dev/null || true
	rmmod habanalabs_rs || fail "rmmod failed"
	# kmemleak reports objects unreferenced for 5 s and over two scans.
	sleep 6
	echo scan > /sys/kernel/debug/kmemleak
	echo scan > /sys/kernel/debug/kmemleak
	leaks=$(cat /sys/kernel/debug/kmemleak)
	[ -z "$leaks" ] || { echo "$leaks" | head -40; fail "kmemleak reported leaks"; }
	modprobe habanalabs_rs || fail "modprobe failed"
}

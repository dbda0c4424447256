# SPDX-License-Identifier: GPL-2.0
# The in-guest part of `make run`: finds the emulated Gaudi, loads the driver and shows what
# happened. Lines for the person watching start with "RUN:".
. /hlrs/lib.sh
say() { echo "RUN: [$(cut -d' ' -f1 /proc/uptime)s] $*"; }
say "guest booted: $(uname -r)"
for d in $(gaudi_devices); do
	say "found $d: $(cat /sys/bus/pci/devices/$d/vendor | cut -c3-):$(cat /sys/bus/pci/devices/$d/device | cut -c3-) class $(cat /sys/bus/pci/devices/$d/class)"
	for b in 0 2 4; do
		set -- $(sed -n "$((b + 1))p" /sys/bus/pci/devices/$d/resource)
		say "  BAR$b at $1, $(( ($2 - $1 + 1) >> 20 )) MiB"
	done
done
t0=$(cut -d' ' -f1 /proc/uptime)
modprobe habanalabs_rs || { say "modprobe habanalabs_rs FAILED"; exit 1; }
say "modprobe habanalabs_rs took $(awk "BEGIN{print $(cut -d' ' -f1 /proc/uptime) - $t0}")s"
dmesg | grep 'habanalabs_rs 0000\|\[drm\]' | sed 's/^\[[^]]*\] /RUN:   dmesg: /'
for d in $(gaudi_devices); do
	say "$d driver: $(bound_driver "$d")"
	irq=$(cat /sys/bus/pci/devices/$d/irq)
	say "$d interrupts: $(grep "^ *$irq:" /proc/interrupts | tr -s ' ')"
done
T=/hlrs/bin/hl_selftest
chmod +x $T
say "accel nodes: $(ls /dev/accel | tr '\n' ' ')"
say "INFO HW_IP_INFO from /dev/accel/accel0: $($T hw-ip-info 2>&1 | tr '\n' ' ')"
say "INFO from the device CPU: $($T firmware-values 2>&1 | tr '\n' ' ')"
a=/sys/class/accel/accel0/device
say "sysfs: device_type $(cat $a/device_type), status $(cat $a/status), uboot_ver $(cat $a/uboot_ver)"
for h in /sys/class/hwmon/hwmon*; do
	[ "$(cat $h/name 2>/dev/null)" = HL205 ] || continue
	say "hwmon $(basename $h) ($(cat $h/name)): temp1 $(cat $h/temp1_input) m°C, in0 $(cat $h/in0_input) mV, fan1 $(cat $h/fan1_input) RPM"
done
# A memory map round trip: a process maps a buffer it filled into the device MMU; the
# emulated Gaudi reads it back through its MMU as a DMA engine would.
rm -f /tmp/map.flag
$T map-hold /tmp/map.flag > /tmp/map.out 2>&1 &
pid=$!
for i in $(seq 100); do [ -e /tmp/map.flag ] && break; sleep 0.1; done
set -- $(cat /tmp/map.out)
say "MEMORY MAP: user buffer mapped at device address $1"
got=$(model_ctl 0 mmu-read 1 "$2" 16 | sed -n 's/^ok //p')
say "  buffer bytes at $2: $3"
say "  device reads there: $got"
[ -n "$got" ] && [ "$got" = "$3" ] && say "  round trip: the device sees the bytes the process wrote" ||
	{ say "  round trip FAILED"; rc=1; }
rm -f /tmp/map.flag
wait $pid && say "MEMORY UNMAP: done" || { say "MEMORY UNMAP FAILED"; rc=1; }
model_ctl 0 mmu-read 1 "$1" 4 > /dev/null 2>&1 && { say "  still mapped after UNMAP"; rc=1; } ||
	say "  after UNMAP the device faults at $1, as it must"
# A real workload: command buffers with LIN_DMA packets, submitted on the external queues
# (DMA0 stream 0 into HBM, DMA1 stream 0 back out), completion by interrupt, WAIT_CS; the
# bytes that come back are compared with those that went in.
say "COMMAND SUBMISSION: host -> HBM -> host through the DMA queues, data compared"
if $T dma 4096 1048576 16777216 > /tmp/dma.out 2>&1; then
	sed 's/^/RUN:   /' /tmp/dma.out
else
	sed 's/^/RUN:   /' /tmp/dma.out; say "  DMA round trip FAILED"; rc=1
fi
say "  the device ran $(model_stat 0 cbs) CBs, $(model_stat 0 packets) packets, moved $(model_stat 0 dma_bytes) bytes, sent $(model_stat 0 msi_sent) MSIs"
say "  interrupts now: $(grep "^ *$(cat /sys/bus/pci/devices/$(gaudi_devices | head -n1)/irq):" /proc/interrupts | tr -s ' ')"
# Peer to peer: HBM that a CS filled is exported as a dma-buf; the test importer (acting as
# an RDMA NIC would) imports it on behalf of the second Gaudi, which reads the bus addresses
# it was given, through the PCIe switch into the first Gaudi's HBM BAR.
second=$(for d in $(gaudi_devices); do [ "$(bound_driver "$d")" = habanalabs_rs ] && echo "$d"; done | sed -n 2p)
if [ -n "$second" ] && modprobe hl_importer; then
	say "DMA-BUF: export HBM of $(gaudi_devices | head -n1), import on behalf of $second"
	exec 5<>/dev/hl_importer
	HLI_FD=5 $T p2p dynamic "$second" > /tmp/p2p.out 2>&1 || { say "  export/import FAILED"; rc=1; }
	sed 's/^/RUN:   /' /tmp/p2p.out
	grep '^probe ' /tmp/p2p.out | while read -r _ bus want; do
		got=$(model_ctl 1 dma-read "$bus" 16 | sed -n 's/^ok //p')
		if [ "$got" = "$want" ]; then
			say "  $second read $bus peer to peer: $got (what the CS wrote)"
		else
			say "  $second read '$got' at $bus, the CS wrote $want: MISMATCH"
			echo fail > /tmp/p2p.bad
		fi
	done
	[ -e /tmp/p2p.bad ] && rc=1
	exec 5<&-
	say "  importer released; the device file is free again: $($T exclusive > /dev/null 2>&1 && echo yes || echo no)"
fi
echo "$(gaudi_devices | head -n1)" > /sys/bus/pci/drivers/habanalabs_rs/unbind
say "unbound: $(dmesg | grep 'unbinding after' | tail -n1 | sed 's/^\[[^]]*\] //')"
rmmod habanalabs_rs && say "rmmod habanalabs_rs: ok"
exit ${rc:-0}

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
dmesg | grep 'habanalabs_rs 0000' | sed 's/^\[[^]]*\] /RUN:   dmesg: /'
for d in $(gaudi_devices); do
	say "$d driver: $(bound_driver "$d")"
	irq=$(cat /sys/bus/pci/devices/$d/irq)
	say "$d interrupts: $(grep "^ *$irq:" /proc/interrupts | tr -s ' ')"
done
echo "$(gaudi_devices | head -n1)" > /sys/bus/pci/drivers/habanalabs_rs/unbind
say "unbound: $(dmesg | grep 'unbinding after' | tail -n1 | sed 's/^\[[^]]*\] //')"
rmmod habanalabs_rs && say "rmmod habanalabs_rs: ok"

# SPDX-License-Identifier: GPL-2.0
# Helpers for in-guest tests. A suite is a shell file defining test_* functions; run_suite
# runs each in a subshell and prints KTAP, in the layout KUnit uses, for the host to gather.

GAUDI_VENDOR=0x1da3
GAUDI_DEVICE=0x1000

# Lists the PCI addresses of emulated Gaudis.
gaudi_devices() {
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = $GAUDI_VENDOR ] && [ "$(cat "$d/device")" = $GAUDI_DEVICE ] &&
			basename "$d"
	done
}

# Prints the driver bound to PCI device $1, or nothing.
bound_driver() {
	[ -e "/sys/bus/pci/devices/$1/driver" ] && basename "$(readlink "/sys/bus/pci/devices/$1/driver")"
}

# Size in bytes of BAR $2 of device $1.
bar_size() {
	set -- $(sed -n "$(($2 + 1))p" "/sys/bus/pci/devices/$1/resource")
	if [ $(($2)) = 0 ]; then echo 0; else echo $(($2 - $1 + 1)); fi
}

# Count of dmesg lines matching $1.
dmesg_count() { dmesg | grep -c -- "$1"; }

fail() { echo "# FAIL: $*"; exit 1; }

# model_ctl N COMMAND...: sends COMMAND to the control socket of emulated device N (the
# harness's relay on ttyS1) and prints the reply; fails unless the reply starts with "ok".
model_ctl() {
	dev=$1; shift
	stty -F /dev/ttyS1 raw -echo 2>/dev/null
	exec 3<>/dev/ttyS1
	echo "g$dev $*" >&3
	IFS= read -r reply <&3
	exec 3<&-
	reply=$(echo "$reply" | tr -d '\r')
	echo "$reply"
	case "$reply" in ok*) return 0 ;; *) return 1 ;; esac
}

# model_stat N NAME: one counter of emulated device N.
model_stat() {
	model_ctl "$1" stats | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# run_suite NAME FILE: sources FILE and runs every test_* function it defines, in order, as
# KTAP.
run_suite() {
	suite=$1
	. "$2"
	tests=$(sed -n 's/^\(test_[a-zA-Z0-9_]*\)() *{.*/\1/p' "$2")
	n=$(echo "$tests" | wc -w)
	echo "    KTAP version 1"
	echo "    # Subtest: $suite"
	echo "    1..$n"
	i=0 pass=0 failed=0
	for t in $tests; do
		i=$((i + 1))
		start=$(cut -d' ' -f1 /proc/uptime)
		( set -e; $t ) > /tmp/test.out 2>&1
		rc=$?
		end=$(cut -d' ' -f1 /proc/uptime)
		sed 's/^/    # /' /tmp/test.out
		if [ $rc = 0 ]; then
			echo "    ok $i ${t#test_} # time=$(awk "BEGIN{print $end-$start}")s"
			pass=$((pass + 1))
		else
			echo "    not ok $i ${t#test_}"
			failed=$((failed + 1))
		fi
	done
	echo "# $suite: pass:$pass fail:$failed skip:0 total:$n"
	[ $failed = 0 ] && echo "ok 1 $suite" || echo "not ok 1 $suite"
}

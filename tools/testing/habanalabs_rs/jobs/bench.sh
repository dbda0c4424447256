# SPDX-License-Identifier: GPL-2.0
# The in-guest part of `make bench`: loads the driver and runs hl_bench on the first Gaudi.
. /hlrs/lib.sh
B=/hlrs/bin/hl_bench
chmod +x $B
modprobe habanalabs_rs || { echo "BENCH: modprobe failed"; exit 1; }
echo "BENCH: kernel $(uname -r), $(nproc) vCPUs (TCG), one emulated Gaudi"
$B latency 2000 | sed 's/^/BENCH: /'
$B throughput 4 1000 5 | sed 's/^/BENCH: /'
for s in 65536 1048576 16777216; do
	$B bandwidth $s 20 | sed 's/^/BENCH: /'
done

# SPDX-License-Identifier: GPL-2.0
# The in-guest part of `make check`: every suite named in HLRS_SUITES (default: all).
. /hlrs/lib.sh
for s in ${HLRS_SUITES:-platform}; do
	case "$s" in
	platform) run_suite hlrs_platform /hlrs/suites/platform.sh ;;
	accel) modprobe habanalabs_rs; run_suite hlrs_accel /hlrs/suites/accel.sh ;;
	cs) modprobe habanalabs_rs; run_suite hlrs_cs /hlrs/suites/cs.sh ;;
	kunit) modprobe habanalabs_rs ;; # the driver's KUnit suites run when it loads
	esac
done

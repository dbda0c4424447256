# SPDX-License-Identifier: GPL-2.0
#
# habanalabs-rs: fetches Debian's linux-source-7.3, overlays this tree on it, builds the test
# kernel with habanalabs_rs.ko and the emulated Gaudi, boots them in QEMU and tests them.
# Everything downloaded or built lives in HLRS_CACHE (default ~/.cache/habanalabs_rs), never in
# the checkout. See README.md and Documentation/accel/habanalabs_rs/testing.rst.

HLRS_CACHE ?= $(HOME)/.cache/habanalabs_rs
export HLRS_CACHE

S := tools/testing/habanalabs_rs/scripts
T := tools/testing/habanalabs_rs

.PHONY: help run check bench kernel module model deps qemu shell guest-run clippy

help:
	@echo "make run                  boot emulated Gaudis, load the driver, show what happened"
	@echo "make check                every test; ends with 'N passed, N failed'"
	@echo "make check SUITES='...'   only some of: lint model kunit platform accel cs"
	@echo "make bench                CS latency and throughput, DMA bandwidth, with spread"
	@echo "make kernel               build the test kernel and modules"
	@echo "make module               rebuild habanalabs_rs.ko after a driver change"
	@echo "make model                build the emulated Gaudi (hl-model)"
	@echo "make shell [DEVICES=N]    a shell in the test VM (leave with poweroff -f)"
	@echo "make guest-run PROG=file [ARGS='...'] [DEVICES=N]"
	@echo "                          run your program or script in the VM, driver loaded"
	@echo "cache: $(HLRS_CACHE) (set HLRS_CACHE to move it)"

run:
	@$(S)/run.sh

check:
	@HLRS_SUITES="$(SUITES)" $(S)/check.sh

bench:
	@$(S)/bench.sh

deps:
	@$(S)/host-deps.sh && $(S)/fetch-kernel.sh >/dev/null && $(S)/qemu-root.sh

kernel: deps
	@$(S)/kernel.sh build

module:
	@$(S)/kernel.sh module

clippy:
	@$(S)/kernel.sh clippy

model:
	@cd $(T) && CARGO_TARGET_DIR=$(HLRS_CACHE)/cargo-target cargo build --release

DEVICES ?= 1
shell: kernel model
	@printf 'modprobe habanalabs_rs\nexec setsid cttyhack sh -l\n' > $(HLRS_CACHE)/shell-job.sh
	@$(S)/vm.sh --interactive --devices $(DEVICES) $(HLRS_CACHE)/shell-job.sh

guest-run: kernel model
	@test -n "$(PROG)" || { echo "usage: make guest-run PROG=path/to/program [ARGS='...']"; exit 2; }
	@$(S)/guest-run.sh --devices $(DEVICES) $(PROG) $(ARGS)

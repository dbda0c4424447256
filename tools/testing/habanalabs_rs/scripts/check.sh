#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make check`: runs every test suite and ends with "N passed, N failed".
# HLRS_SUITES selects suites (default: "lint model kunit platform accel cs").
. "$(dirname "$0")/lib.sh"
toolchain_env
S=$HLRS_TOP/tools/testing/habanalabs_rs/scripts
T=$HLRS_TOP/tools/testing/habanalabs_rs
suites=${HLRS_SUITES:-lint model kunit platform accel cs}
has() { case " $suites " in *" $1 "*) return 0 ;; esac; return 1; }
passed=0 failed=0 skipped=0
lines=()
record() { # suite passed failed [note]
	lines+=("$1: $2 passed, $3 failed${4:+ $4}")
	passed=$((passed + $2)) failed=$((failed + $3))
}

"$S/host-deps.sh"
src=$("$S/fetch-kernel.sh")
export CARGO_TARGET_DIR=$HLRS_CACHE/cargo-target
# Bindings of the upstream headers, for the fidelity test that lint and model both build.
if has lint || has model; then eval "$("$S/fidelity.sh")"; fi

if has lint; then
	say "lint: rustfmt and clippy"
	p=0 f=0
	if (cd "$T" && cargo fmt --check) > "$HLRS_CACHE/lint.log" 2>&1; then p=$((p + 1)); else f=$((f + 1)); lines+=("    not ok: cargo fmt --check (model)"); fi
	if (cd "$T" && timeout 900 cargo clippy -q --release --all-targets --features fidelity -- -D warnings) >> "$HLRS_CACHE/lint.log" 2>&1; then p=$((p + 1)); else f=$((f + 1)); lines+=("    not ok: cargo clippy (model)"); fi
	if rustfmt --edition 2021 --config-path "$src/.rustfmt.toml" --check "$HLRS_TOP"/drivers/accel/habanalabs_rs/*.rs >> "$HLRS_CACHE/lint.log" 2>&1; then p=$((p + 1)); else f=$((f + 1)); lines+=("    not ok: rustfmt (driver)"); fi
	if "$S/kernel.sh" clippy >> "$HLRS_CACHE/lint.log" 2>&1; then p=$((p + 1)); else f=$((f + 1)); lines+=("    not ok: make CLIPPY=1 (driver)"); fi
	if "$S/uapi-check.sh" > "$HLRS_CACHE/uapi-check.log" 2>&1; then p=$((p + 1)); else f=$((f + 1)); lines+=("    not ok: uapi header ABI (see $HLRS_CACHE/uapi-check.log)"); fi
	[ $f = 0 ] || { tail -n 40 "$HLRS_CACHE/lint.log"; }
	record lint $p $f
fi

if has model; then
	say "model: cargo test, with the fidelity test against the upstream headers"
	out=$( (cd "$T" && timeout 900 cargo test --release --features fidelity 2>&1) ) || true
	p=$(echo "$out" | sed -n 's/^test result: .* \([0-9]*\) passed; \([0-9]*\) failed.*/\1/p' | awk '{s+=$1} END{print s+0}')
	f=$(echo "$out" | sed -n 's/^test result: .* \([0-9]*\) passed; \([0-9]*\) failed.*/\2/p' | awk '{s+=$1} END{print s+0}')
	if ! echo "$out" | grep -q '^test result:'; then echo "$out" | tail -n 30; f=$((f + 1)); fi
	echo "$out" | grep -E '^test .* FAILED|panicked' | head -n 20 || true
	record "model (cargo test)" "$p" "$f"
fi

guest=""
has kunit && guest="$guest kunit"
has platform && guest="$guest platform"
has accel && guest="$guest accel"
has cs && guest="$guest cs"
if [ -n "$guest" ]; then
	"$S/qemu-root.sh"
	say "kernel: build"
	"$S/kernel.sh" build
	(cd "$T" && cargo build -q --release)
	selftest=$("$S/selftests.sh")
	out=$HLRS_CACHE/runs/check-$(date +%Y%m%d-%H%M%S)
	mkdir -p "$out"
	job=$out/check-job.sh
	{ echo "HLRS_SUITES='$guest'"; cat "$T/jobs/check.sh"; } > "$job"
	say "VM: 2 Gaudis and 1 non-Gaudi behind a PCIe switch; suites:$guest"
	if "$S/vm.sh" --devices 2 --bad-devices 1 --timeout "${HLRS_TIMEOUT:-900}" --out "$out" "$job" "$selftest"; then
		say "VM run took $(cat "$out/elapsed")s; console: $out/console.log"
		res=$(python3 "$S/ktap.py" "$out/console.log")
		echo "$res" | grep -v '^#TOTAL'
		set -- $(echo "$res" | sed -n 's/^#TOTAL //p')
		passed=$((passed + $1)) failed=$((failed + $2)) skipped=$((skipped + $3))
		# Every suite asked for must have reported.
		if has kunit && ! echo "$res" | grep -q '^habanalabs_rs_'; then record "kunit (no suite reported)" 0 1; fi
		if has platform && ! echo "$res" | grep -q '^hlrs_platform:'; then record "hlrs_platform (did not report)" 0 1; fi
		if has accel && ! echo "$res" | grep -q '^hlrs_accel:'; then record "hlrs_accel (did not report)" 0 1; fi
		if has cs && ! echo "$res" | grep -q '^hlrs_cs:'; then record "hlrs_cs (did not report)" 0 1; fi
	else
		record "vm (boot or job failed; see above)" 0 1
	fi
fi

printf '%s\n' "${lines[@]}"
echo "$passed passed, $failed failed${skipped:+, $skipped skipped}"
[ "$failed" = 0 ]

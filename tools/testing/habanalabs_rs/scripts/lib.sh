# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the habanalabs_rs build and test scripts. Sourced, not run.

set -euo pipefail

HLRS_CACHE=${HLRS_CACHE:-$HOME/.cache/habanalabs_rs}
HLRS_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)
mkdir -p "$HLRS_CACHE"

# Seconds since the epoch with a fraction, for step timings.
now() { date +%s.%N; }

# Prints "==> message" to stderr.
say() { printf '==> %s\n' "$*" >&2; }

die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# The Debian archive URI the host itself uses (never a hard-coded mirror).
debian_uri() {
	local uri
	uri=$(grep -h '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null |
		awk '{print $2}' | grep -v -- '-security' | head -n1 || true)
	if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
		uri=$(awk '$1=="deb" && $3 !~ /security/ {print $2; exit}' /etc/apt/sources.list)
	fi
	[ -n "$uri" ] || die "cannot find a Debian archive URI in the host's apt sources"
	printf '%s\n' "$uri"
}

# Runs apt-get with a private state and source list naming the given suites, so the
# host's own apt configuration is never touched. Usage: private_apt "suite..." args...
private_apt() {
	local suites=$1; shift
	local dir=$HLRS_CACHE/apt
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
	: > "$dir/sources.list"
	local s
	for s in $suites; do
		echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(debian_uri) $s main" >> "$dir/sources.list"
	done
	local tool=apt-get
	[ "$1" = madison ] && tool=apt-cache
	"$tool" -q -o Dir::State::Lists="$dir/lists" -o Dir::Etc::SourceList="$dir/sources.list" \
		-o Dir::Etc::SourceParts=/nonexistent -o Dir::Cache="$dir/cache" \
		-o Dir::State::status=/var/lib/dpkg/status -o Debug::NoLocking=1 \
		-o APT::Sandbox::User=root "$@"
}

# Toolchain environment for kernel builds.
toolchain_env() {
	export PATH=/usr/lib/llvm-19/bin:$HLRS_CACHE/tools/bin:$HOME/.cargo/bin:$PATH
}

#!/usr/bin/env bash
# Cross-check of the conformance suite by a tool nobody here wrote: Prism (@stoplight/prism-cli, pinned in
# package-lock.json) runs as a validation proxy, `prism proxy api/openapi.yaml <upstream> --errors`, in front of
# a `data8 serve` sandbox, and the conformance suite (`data8 conformance`) runs through it. Prism checks every request and every
# response against api/openapi.yaml; with --errors it answers a violation itself (422 for a request, 500 with an
# sl-violations header for a response), which the suite reports as a failure of the case that made the request.
# The script also counts the violation lines in Prism's log. It fails unless the suite passes and Prism saw no
# violation.
#
# The token endpoint is not in the spec, so the suite fetches tokens from the sandbox directly. Cases that send
# requests the spec forbids on purpose are skipped (--validating-proxy): Prism would answer them itself.
#
# Usage: conformance/prism/run.sh   (from anywhere; needs Go, Node and `make tools`)
# Environment: PRISM_PORT (default: the first free port from 4010), DATA8_CONFORMANCE_REPORT (directory for the
# report and the logs; default a temporary directory, printed at the end).
set -euo pipefail
cd "$(dirname "$0")/../.."

prism=node_modules/.bin/prism
if [ ! -x "$prism" ]; then
	echo "prism: $prism is missing; run make tools" >&2
	exit 2
fi

work=$(mktemp -d)
out=${DATA8_CONFORMANCE_REPORT:-$work/report}
mkdir -p "$out"
serve_pid=""
prism_pid=""
cleanup() {
	# Stop only the processes this script started.
	local pid
	for pid in $prism_pid $serve_pid; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$work/bin"
	return 0
}
trap cleanup EXIT

# port_free reports whether nothing listens on 127.0.0.1:$1.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_for waits up to $2 seconds for file $1 to match pattern $3.
wait_for() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		grep -q -- "$3" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# 1. The sandbox: data8 serve on a free loopback port; it prints the export lines that point a client at it.
mkdir -p "$work/bin"
go build -o "$work/bin/data8" ./cmd/data8
"$work/bin/data8" serve --addr 127.0.0.1:0 --job-duration 20ms >"$work/serve.env" 2>"$out/serve.log" &
serve_pid=$!
if ! wait_for "$work/serve.env" 30 DATA8_CLIENT_SECRET; then
	echo "prism: data8 serve did not start:" >&2
	cat "$out/serve.log" >&2
	exit 1
fi
# shellcheck disable=SC1091
source "$work/serve.env"
upstream=$DATA8_BASE_URL

# 2. Prism in front of it.
port=${PRISM_PORT:-}
if [ -z "$port" ]; then
	for p in $(seq 4010 4110); do
		if port_free "$p"; then port=$p; break; fi
	done
fi
[ -n "$port" ] || { echo "prism: no free port from 4010" >&2; exit 1; }
"$prism" proxy api/openapi.yaml "$upstream" --errors -h 127.0.0.1 -p "$port" >"$out/prism.log" 2>&1 &
prism_pid=$!
if ! wait_for "$out/prism.log" 120 "Prism is listening"; then
	echo "prism: Prism did not start:" >&2
	cat "$out/prism.log" >&2
	exit 1
fi
echo "prism: $("$prism" --version 2>/dev/null | tail -1) proxying http://127.0.0.1:$port -> $upstream (node $(node --version))"

# 3. The suite through Prism, as a user runs it: data8 conformance; tokens straight from the sandbox.
status=0
DATA8_BASE_URL="http://127.0.0.1:$port" \
	DATA8_TOKEN_URL="$DATA8_TOKEN_URL" \
	DATA8_CLIENT_ID="$DATA8_CLIENT_ID" \
	DATA8_CLIENT_SECRET="$DATA8_CLIENT_SECRET" \
	"$work/bin/data8" conformance --validating-proxy --many-jobs --report "$out" >"$out/conformance.log" 2>&1 || status=$?

# 4. What Prism saw: every request it forwarded, and every violation it logged or answered.
forwarded=$(grep -c 'Forwarding' "$out/prism.log" || true)
violations=$(grep -E -c 'Violation:|VIOLATIONS|UNPROCESSABLE_ENTITY|errors#' "$out/prism.log" || true)
echo "prism: $forwarded requests forwarded to the sandbox; $violations violation lines in Prism's log"
if [ "$violations" -gt 0 ]; then
	grep -E 'Violation:|VIOLATIONS|UNPROCESSABLE_ENTITY|errors#' "$out/prism.log" | sort | uniq -c | sort -rn | head -40 >&2 || true
fi
grep -m1 -h 'cases: ' "$out/conformance.md" 2>/dev/null | sed 's/^- //; s/\*\*//g' || true
echo "prism: report and logs in $out"
if [ "$status" -ne 0 ]; then
	echo "prism: the conformance suite failed through Prism (data8 conformance exit $status); see $out/conformance.log" >&2
	tail -40 "$out/conformance.log" >&2
	exit 1
fi
if [ "$violations" -gt 0 ]; then
	exit 1
fi
echo "prism: zero violations"

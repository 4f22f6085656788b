#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# vgpuctl metrics and serve on the host, over a made-up sysfs tree
# (VGPUCTL_SYSFS_ROOT): the output passes promtool check metrics (with and
# without vgpu.ko), --output replaces its file atomically and leaves no
# temporary file, bad arguments are one message and exit 2, and serve
# answers GET /metrics (promtool again), 404 elsewhere, 405 for POST, and
# exits 0 on SIGTERM. TAP, ending in a kselftest-style "# Totals:" line.
#
# Usage: metrics-check.sh [VGPUCTL]   PROMTOOL=path (default: the one
# scripts/install-deps.sh puts in /var/cache/vgpu/promtool)
set -u

here=$(cd "$(dirname "$0")" && pwd)
tool=${1:-$here/../vgpuctl}
promtool=${PROMTOOL:-${VGPU_CACHE_DIR:-/var/cache/vgpu}/promtool/promtool}
work=$(mktemp -d /tmp/vgpuctl-metrics.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
n=0
pass=0
fail=0

check() { # check NAME COMMAND...
	n=$((n + 1))
	if "${@:2}" > "$work/out" 2>&1; then
		pass=$((pass + 1))
		echo "ok $n $1"
	else
		fail=$((fail + 1))
		echo "not ok $n $1"
		sed 's/^/# /' "$work/out" | head -n 20
	fi
}

put() { # put FILE VALUE: under the fake root
	mkdir -p "$(dirname "$work/sys/$1")"
	printf '%s\n' "$2" > "$work/sys/$1"
}

# A sim parent with one vGPU whose profile needs escaping, a PF with a VF.
uuid=0b0c0d0e-1111-4222-8333-444455556666
for p in vgpu0 vgpu1; do
	d=class/vgpu/$p
	put $d/backend sim
	put $d/sched_policy best_effort
	for f in mem_total_bytes:536870912 mem_free_bytes:469762048 \
		 engines_total:2 engines_free:0 vgpus:1 timeslice_us:2000 \
		 job_timeout_ms:10000 preempt_timeout_us:0; do
		put "$d/${f%%:*}" "${f#*:}"
	done
	put $d/engine_utilization_permille "250 1000"
	put $d/partitions "0 0-1 split 1/4"
done
put class/vgpu/vgpu1/backend pf
put class/vgpu/vgpu1/vf1/profile split
put class/vgpu/vgpu1/vf1/creatable_profiles ""
for v in class/vgpu/vgpu0/$uuid/vgpu class/vgpu/vgpu1/vf1/vgpu; do
	for f in mem_offset_bytes:0 mem_size_bytes:67108864 partition:0 \
		 partition_users:1 partition_share:4 weight:10 timeslice_us:0 \
		 cap_permille:1000 guarantee_permille:0 busy_ns:1500000000 \
		 slices:3 preemptions:1 prio_preemptions:0 share_permille:250 \
		 commands:7 bytes:4096 errors:0 resets:1 dma_stalls:0 \
		 state:running priority:normal engines:0-1 created_ns:1000; do
		put "$v/${f%%:*}" "${f#*:}"
	done
	put $v/profile split
done
put class/vgpu/vgpu0/$uuid/vgpu/profile 'a"b\c'
export VGPUCTL_SYSFS_ROOT=$work/sys

check "promtool is there ($promtool)" "$promtool" --version

prom=$work/textfile/vgpu.prom
mkdir -p "$work/textfile"
check "metrics --output writes the file" "$tool" metrics --output "$prom"
check "promtool check metrics accepts it" sh -c '"$0" check metrics < "$1"' "$promtool" "$prom"
check "label values are escaped" grep -qF 'profile="a\"b\\c"' "$prom"
check "a VF is labelled vf" grep -q '^vgpu_busy_seconds_total{parent="vgpu1",vf="1",profile="split"} 1.500000000$' "$prom"
check "no temporary file is left" sh -c '[ "$(ls -A "$0")" = vgpu.prom ]' "$work/textfile"
check "a second run replaces it" "$tool" metrics --output "$prom"
grep -v created_timestamp "$prom" > "$prom.cmp"
check "stdout is the same text as the file" sh -c '"$0" metrics | grep -v created_timestamp | cmp - "$1"' "$tool" "$prom.cmp"
check "an unwritable --output is one message, exit 1" sh -c \
	'"$0" metrics --output /nonexistent/dir/x.prom 2> "$1"; [ $? -eq 1 ] && [ "$(wc -l < "$1")" -eq 1 ]' "$tool" "$work/err"
check "an extra argument is one message, exit 2" sh -c \
	'"$0" metrics extra 2> "$1"; [ $? -eq 2 ] && [ "$(wc -l < "$1")" -eq 1 ]' "$tool" "$work/err"
check "without vgpu.ko: vgpu_module_loaded 0, still valid" sh -c \
	'VGPUCTL_SYSFS_ROOT=/nonexistent "$0" metrics > "$1" && grep -qx "vgpu_module_loaded 0" "$1" && "$2" check metrics < "$1"' \
	"$tool" "$work/empty.prom" "$promtool"
check "serve without --listen is one message, exit 2" sh -c \
	'"$0" serve 2> "$1"; [ $? -eq 2 ] && [ "$(wc -l < "$1")" -eq 1 ]' "$tool" "$work/err"
check "serve with a bad address is one message, exit 2" sh -c \
	'"$0" serve --listen localhost:9464 2> "$1"; [ $? -eq 2 ] && [ "$(wc -l < "$1")" -eq 1 ]' "$tool" "$work/err"

# serve on a free port of the loopback interface.
port=
for try in 1 2 3 4 5; do
	p=$((20000 + RANDOM % 20000))
	"$tool" serve --listen "127.0.0.1:$p" 2> "$work/serve.err" &
	pid=$!
	for i in $(seq 50); do
		curl -s -o /dev/null "http://127.0.0.1:$p/" && { port=$p; break; }
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	[ -n "$port" ] && break
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=
done
url=http://127.0.0.1:$port
check "serve listens" test -n "$port"
check "GET /metrics is 200 and passes promtool" sh -c \
	'[ "$(curl -s -o "$1" -w "%{http_code}" "$0/metrics")" = 200 ] && "$2" check metrics < "$1"' \
	"$url" "$work/scrape.prom" "$promtool"
check "it is the text format" sh -c \
	'curl -s -o /dev/null -w "%{content_type}" "$0/metrics" | grep -q "^text/plain; version=0.0.4"' "$url"
check "GET /other is 404" sh -c '[ "$(curl -s -o /dev/null -w "%{http_code}" "$0/other")" = 404 ]' "$url"
check "POST /metrics is 405" sh -c \
	'[ "$(curl -s -o /dev/null -w "%{http_code}" -X POST "$0/metrics")" = 405 ]' "$url"
if [ -n "$pid" ]; then
	kill -TERM "$pid"
	check "SIGTERM: serve exits 0" wait "$pid"
	pid=
else
	check "SIGTERM: serve exits 0" false
fi

echo "1..$n"
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
[ "$fail" -eq 0 ]

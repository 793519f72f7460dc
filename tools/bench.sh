#!/bin/bash
# tools/bench.sh — one command for BENCHMARKS.md: build shelterd with
# --buildtype=release, run it on 127.0.0.1 with a fresh data directory and
# a generated registry, drive it with loadgen (one update per request,
# batched, and paced with subscribers), measure the limits of this machine
# with probe (nng echo, LMDB synced puts) and a PostgreSQL baseline fed
# the same update stream, and print one table.
#
# Everything listens on loopback or on unix sockets in a temp dir, and
# everything it starts is stopped on exit, also on failure or Ctrl-C.
# Default settings take about 2 minutes on a 2-core machine (a cold
# release build adds about 10 s); every measured run is bounded by
# --duration and the scale runs by 3 s each.
set -euo pipefail

usage() {
	cat <<EOF
Usage: tools/bench.sh [OPTION]...
Build (release), benchmark shelterd, its limits and a PostgreSQL baseline
on this machine, and print a side-by-side table.

  --duration S           measured seconds per run (default 10)
  --warmup S             unmeasured seconds before each run (default 1)
  --shelters N           generated registry size (default 10000)
  --connections K        concurrency for single mode, the nng probe and
                         PostgreSQL (default 64)
  --batch-connections K  concurrent gateways in batch mode (default 8)
  --batch-size B         updates per batch request (default 1000)
  --paced-rate R         updates/s of the paced run (default 1000)
  --subscribers S        subscribers of the paced run (default 4)
  --build-dir DIR        meson build dir (default
                         \$TMPDIR/shelterd-bench-build)
  --no-postgres          skip the PostgreSQL baseline
  --no-scale             skip the 100 / 10,000 / 100,000 shelter runs
  --keep                 keep the temp dir (logs, raw JSON results)
  -h, --help             print this help and exit

Exit status: 0 when every step succeeded; otherwise 1, after printing what
was measured.
EOF
}

duration=10 warmup=1 shelters=10000 conns=64 bconns=8 bsize=1000
prate=1000 subs=4 build="${TMPDIR:-/tmp}/shelterd-bench-build"
postgres=1 scale=1 keep=0
need() { [ $# -ge 2 ] || { echo "bench: $1 needs a value" >&2; exit 2; }; }
while [ $# -gt 0 ]; do
	case $1 in
	--duration) need "$@"; duration=$2; shift ;;
	--warmup) need "$@"; warmup=$2; shift ;;
	--shelters) need "$@"; shelters=$2; shift ;;
	--connections) need "$@"; conns=$2; shift ;;
	--batch-connections) need "$@"; bconns=$2; shift ;;
	--batch-size) need "$@"; bsize=$2; shift ;;
	--paced-rate) need "$@"; prate=$2; shift ;;
	--subscribers) need "$@"; subs=$2; shift ;;
	--build-dir) need "$@"; build=$2; shift ;;
	--no-postgres) postgres=0 ;;
	--no-scale) scale=0 ;;
	--keep) keep=1 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "bench: unknown option '$1' (try --help)" >&2; exit 2 ;;
	esac
	shift
done

src=$(cd "$(dirname "$0")/.." && pwd)
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
say() { printf '== %s\n' "$*" >&2; }

# ---- what we start, and how it all stops ---------------------------------
work="" daemon="" pgdata="" pgbin="" failed=0
cleanup() {
	set +e
	if [ -n "$daemon" ] && kill -0 "$daemon" 2>/dev/null; then
		kill -TERM "$daemon"
		wait "$daemon"
	fi
	if [ -n "$pgdata" ] && [ -f "$pgdata/postmaster.pid" ]; then
		as_pg "$pgbin/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null
	fi
	if [ -n "$work" ]; then
		if [ "$keep" -eq 1 ]; then
			say "kept $work"
		else
			rm -rf "$work"
		fi
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- build ---------------------------------------------------------------
"$src/tools/deps"
if [ "$postgres" -eq 1 ]; then
	missing=""
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 ||
		missing="$missing postgresql"
	pkg-config --exists libpq 2>/dev/null || missing="$missing libpq-dev"
	if [ -n "$missing" ]; then
		say "installing$missing"
		$SUDO apt-get update -qq
		# shellcheck disable=SC2086
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
			--no-install-recommends $missing >/dev/null
	fi
fi
say "building $src in $build (release)"
# werror off: an optimiser-only false positive at -O3 must not stop a
# benchmark; warnings are held to zero by the normal builds and tests.
opts=(--buildtype=release -Dwerror=false -Dtests=disabled)
mkdir -p "$build"
reconf=()
[ -f "$build/build.ninja" ] && reconf=(--reconfigure)
targets=(daemon/shelterd tools/loadgen tools/probe tools/shelterctl)
[ "$postgres" -eq 1 ] && targets+=(tools/pgdriver)
if ! { meson setup "${reconf[@]}" "$build" "$src" "${opts[@]}" &&
	ninja -C "$build" "${targets[@]}"; } >"$build/bench-build.log" 2>&1
then
	tail -30 "$build/bench-build.log" >&2
	echo "bench: the build failed (log: $build/bench-build.log)" >&2
	exit 1
fi
B=$build

work=$(mktemp -d "${TMPDIR:-/tmp}/shelterd-bench.XXXXXX")
res=$work/results
mkdir -p "$res"

# ---- the machine -----------------------------------------------------------
{
	echo "date: $(date -u '+%Y-%m-%d %H:%M:%SZ')"
	echo "cpus: $(nproc)"
	echo "cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo |
		sort -u | head -1)"
	echo "ram: $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' \
		/proc/meminfo)"
	echo "kernel: $(uname -sr)"
	dev=$(findmnt -no SOURCE -T "$work")
	wc=$(cat "/sys/block/$(basename "$dev")/queue/write_cache" \
		2>/dev/null || echo '?')
	echo "disk: $work on $dev ($(findmnt -no FSTYPE -T "$work")," \
		"$(lsblk -dno SIZE "$dev" 2>/dev/null | tr -d ' '), write" \
		"cache: $wc)"
	echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$res/machine.txt"
# Two cores are shared by the daemon, loadgen and everything else: say so
# when something else is busy, since every figure then drops.
if awk -v n="$(nproc)" '{ exit !($1 > n / 4) }' /proc/loadavg; then
	echo "bench: warning: load average $(cut -d' ' -f1 /proc/loadavg) on" \
		"$(nproc) cores before the run: the numbers will be low and" \
		"noisy" >&2
fi
if [ "$(findmnt -no FSTYPE -T "$work")" = tmpfs ]; then
	echo "bench: $work is on tmpfs: fsync costs nothing there; set" \
		"TMPDIR to a directory on a real disk" >&2
	exit 2
fi

free_ports() {
	python3 -c '
import socket, sys
ss = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))' "$1"
}
read -r p_api p_events p_echo p_scale_api p_scale_events p_pg \
	<<<"$(free_ports 6)"
api=tcp://127.0.0.1:$p_api
events=tcp://127.0.0.1:$p_events

# Run one measurement: its JSON goes to $res/NAME.json, its exit status to
# $res/NAME.rc; a failure is reported and remembered, and the bench goes on.
step() {
	local name=$1 rc=0
	shift
	say "$name"
	cut -d' ' -f1 /proc/loadavg >"$res/$name.load"
	"$@" >"$res/$name.json" 2>"$res/$name.err" || rc=$?
	echo "$rc" >"$res/$name.rc"
	if [ "$rc" -ne 0 ]; then
		failed=1
		echo "bench: $name failed (exit $rc):" >&2
		sed 's/^/    /' "$res/$name.err" >&2
	fi
}

start_daemon() { # DATA REGISTRY API EVENTS LOG
	# Every loadgen connection comes from 127.0.0.1: no cap per peer.
	printf '[security]\nmax_connections_per_peer = 0\n' >"$1.conf"
	"$B/daemon/shelterd" -c "$1.conf" --data-dir "$1" --registry "$2" \
		--api "$3" --events "$4" --http "" --log-level warn >>"$5" 2>&1 &
	daemon=$!
	local t0 i=0
	t0=$(date +%s%N)
	until "$B/tools/shelterctl" --api "$3" --timeout 1000 regions \
		>/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 1000 ] || ! kill -0 "$daemon" 2>/dev/null; then
			echo "bench: shelterd did not start:" >&2
			cat "$5" >&2
			exit 1
		fi
		sleep 0.01
	done
	ready_ms=$((($(date +%s%N) - t0) / 1000000))
}

stop_daemon() {
	local rc=0
	kill -TERM "$daemon"
	wait "$daemon" || rc=$?
	daemon=""
	if [ "$rc" -ne 0 ]; then
		echo "bench: shelterd exited with $rc" >&2
		failed=1
	fi
}

# ---- shelterd --------------------------------------------------------------
"$B/tools/loadgen" gen-registry --shelters "$shelters" "$work/registry" \
	2>/dev/null
start_daemon "$work/data" "$work/registry" "$api" "$events" \
	"$work/shelterd.log"
common=(--api "$api" --events "$events" --registry "$work/registry"
	--daemon-pid "$daemon" --data-dir "$work/data" --duration "$duration"
	--warmup "$warmup" --json)
step single "$B/tools/loadgen" "${common[@]}" --mode single \
	--connections "$conns"
step batch "$B/tools/loadgen" "${common[@]}" --mode batch \
	--connections "$bconns" --batch-size "$bsize"
# Every 10th report of a connection fills a category and the next one of
# that shelter frees it: about one event per 5 updates to time.
step paced "$B/tools/loadgen" "${common[@]}" --mode single \
	--connections "$conns" --rate "$prate" --subscribers "$subs" \
	--escalate-every 10
# Placement round trips against every shelter's reported state: one
# request in flight, each hold cancelled (untimed) before the next.
step place "$B/tools/loadgen" place --api "$api" --registry "$work/registry" \
	--count 200 --json
stop_daemon

# ---- the limits ------------------------------------------------------------
# The LMDB probe runs at the updates per commit each mode reached.
per_commit() {
	python3 -c '
import json, sys
try:
    l = json.load(open(sys.argv[1]))["lmdb"]
    print(max(1, round(l["updates_per_commit"])))
except Exception:
    print(sys.argv[2])' "$res/$1.json" "$2"
}
step echo "$B/tools/probe" nng --url "tcp://127.0.0.1:$p_echo" \
	--connections "$conns" --size 100 --duration "$duration" \
	--warmup "$warmup" --json
step echo1 "$B/tools/probe" nng --url "tcp://127.0.0.1:$p_echo" \
	--connections 1 --size 100 --duration 3 --warmup 0.5 --json
step lmdb_single "$B/tools/probe" lmdb --batch "$(per_commit single 64)" \
	--keys "$shelters" --dir "$work" --duration "$duration" \
	--warmup "$warmup" --json
step lmdb_batch "$B/tools/probe" lmdb --batch "$(per_commit batch "$bsize")" \
	--keys "$shelters" --dir "$work" --duration "$duration" \
	--warmup "$warmup" --json
# Like for like: per update what the daemon writes for a report (its
# state, region and national aggregates, history samples), in commits of
# the size each mode reached.
step lmdb_like_single "$B/tools/probe" lmdb --like-daemon \
	--batch "$(per_commit single 64)" --keys "$shelters" --dir "$work" \
	--duration "$duration" --warmup "$warmup" --json
step lmdb_like_batch "$B/tools/probe" lmdb --like-daemon \
	--batch "$(per_commit batch "$bsize")" --keys "$shelters" \
	--dir "$work" --duration "$duration" --warmup "$warmup" --json
step lmdb1 "$B/tools/probe" lmdb --batch 1 --keys "$shelters" --dir "$work" \
	--duration 3 --warmup 0.5 --json

# ---- PostgreSQL ------------------------------------------------------------
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}
if [ "$postgres" -eq 1 ]; then
	pgbin=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin |
		sort -V | tail -1)
	pgdir=$work/pg
	mkdir -p "$pgdir"
	if [ "$(id -u)" -eq 0 ]; then
		# initdb refuses to run as root: the cluster belongs to the
		# postgres user, which must reach it through the temp dir.
		chmod 711 "$work"
		chown postgres: "$pgdir"
	fi
	pgdata=$pgdir/data
	say "PostgreSQL: initdb in $pgdata"
	as_pg "$pgbin/initdb" -D "$pgdata" -A trust -U bench >/dev/null
	# Unix socket in the temp dir only; durability as shipped, stated.
	pgopts="-c listen_addresses='' -c unix_socket_directories='$pgdir'"
	pgopts="$pgopts -c port=$p_pg -c max_connections=$((conns + 20))"
	pgopts="$pgopts -c fsync=on -c synchronous_commit=on"
	pgopts="$pgopts -c full_page_writes=on"
	as_pg "$pgbin/pg_ctl" -D "$pgdata" -w -l "$pgdir/postgres.log" \
		-o "$pgopts" start >/dev/null
	pgpid=$(head -1 "$pgdata/postmaster.pid")
	conninfo="host=$pgdir port=$p_pg user=bench dbname=postgres"
	step postgres "$B/tools/pgdriver" --setup --conninfo "$conninfo" \
		--registry "$work/registry" --connections "$conns" \
		--duration "$duration" --warmup "$warmup" \
		--server-pid "$pgpid" --json
	as_pg "$pgbin/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null
	# The same cluster as a DBA would tune it for many small durable
	# commits, durability unchanged (fsync, synchronous_commit = on):
	# group commit (a committing backend waits commit_delay us for
	# others when at least commit_siblings are in a txn, and one WAL
	# flush then covers them all), memory for the whole table and the
	# WAL, and no checkpoint inside the run. pgdriver's UPDATE is a
	# prepared statement in both runs.
	tuned="$pgopts -c commit_delay=200 -c commit_siblings=5"
	tuned="$tuned -c shared_buffers=256MB -c wal_buffers=16MB"
	tuned="$tuned -c max_wal_size=4GB -c checkpoint_timeout=30min"
	tuned="$tuned -c wal_compression=on"
	as_pg "$pgbin/pg_ctl" -D "$pgdata" -w -l "$pgdir/postgres.log" \
		-o "$tuned" start >/dev/null
	pgpid=$(head -1 "$pgdata/postmaster.pid")
	step postgres_tuned "$B/tools/pgdriver" --setup \
		--conninfo "$conninfo" --registry "$work/registry" \
		--connections "$conns" --duration "$duration" \
		--warmup "$warmup" --server-pid "$pgpid" --json
	as_pg "$pgbin/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null
fi

# ---- scale: 100, 10,000 and 100,000 shelters -------------------------------
if [ "$scale" -eq 1 ]; then
	sapi=tcp://127.0.0.1:$p_scale_api
	sevents=tcp://127.0.0.1:$p_scale_events
	for n in 100 10000 100000; do
		d=$work/scale-$n
		"$B/tools/loadgen" gen-registry --shelters "$n" "$d/registry" \
			2>/dev/null
		start_daemon "$d/data" "$d/registry" "$sapi" "$sevents" \
			"$d/shelterd.log"
		c=$bconns
		[ "$c" -gt "$n" ] && c=$n
		step "scale_$n" "$B/tools/loadgen" --api "$sapi" \
			--registry "$d/registry" --daemon-pid "$daemon" \
			--data-dir "$d/data" --mode batch --connections "$c" \
			--batch-size "$bsize" --duration 3 --warmup 0.5 --json
		# The alarm at this size: the paced run, 3 s, as above.
		step "paced_$n" "$B/tools/loadgen" --api "$sapi" \
			--events "$sevents" --registry "$d/registry" \
			--daemon-pid "$daemon" --data-dir "$d/data" \
			--mode single --connections "$conns" --rate "$prate" \
			--subscribers "$subs" --escalate-every 10 --duration 3 \
			--warmup 0.5 --json
		# The placement round trip at this size (the index of free
		# beds should make it the same at every size).
		step "place_$n" "$B/tools/loadgen" place --api "$sapi" \
			--registry "$d/registry" --count 100 --json
		stop_daemon
		# Restart to serving, with every shelter in the store.
		start_daemon "$d/data" "$d/registry" "$sapi" "$sevents" \
			"$d/shelterd.log"
		echo "$ready_ms" >"$res/restart_$n.ms"
		# Memory as users see it, idle after the restart: the heap
		# (anonymous) apart from data.mdb's pages the kernel may
		# reclaim (file), in kB.
		awk '/^(RssAnon|RssFile):/ { printf "%s ", $2 }' \
			"/proc/$daemon/status" >"$res/restart_$n.rss"
		stop_daemon
	done
fi

echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$res/machine.txt"

# ---- the table -------------------------------------------------------------
python3 - "$res" "$conns" "$bconns" "$bsize" "$prate" "$subs" "$duration" \
	<<'EOF'
import json, os, sys

res, conns, bconns, bsize, prate, subs, duration = sys.argv[1:8]
R = {}
for f in os.listdir(res):
    if f.endswith(".json"):
        name = f[:-5]
        try:
            R[name] = json.load(open(os.path.join(res, f)))
        except ValueError:
            R[name] = None
        rc = open(os.path.join(res, name + ".rc")).read().strip()
        if R[name] is not None:
            R[name]["_rc"] = int(rc)

def get(name, *path):
    v = R.get(name)
    for p in path:
        if not isinstance(v, dict) or v.get(p) is None:
            return None
        v = v[p]
    return v

def load(name):
    if name == "postgres" and os.path.exists(os.path.join(
            res, "postgres.load.best")):
        return open(os.path.join(res, "postgres.load.best")).read().strip()
    f = os.path.join(res, name + ".load")
    return open(f).read().strip() if os.path.exists(f) else "-"

def num(v, fmt="{:,.0f}"):
    return "-" if v is None else fmt.format(v)

def ms(v):
    return "-" if v is None else f"{v / 1000:.2f}"

print(open(os.path.join(res, "machine.txt")).read().rstrip())
print()
# The PostgreSQL column (and every ratio to it) is the better of the
# two baselines: as shipped and as tuned.
pg_runs = {k: get(k, "updates_per_s") for k in ("postgres", "postgres_tuned")}
pg_best = max((k for k in pg_runs if pg_runs[k] is not None),
              key=lambda k: pg_runs[k], default="postgres")
if pg_best != "postgres":
    R["postgres_as_shipped"] = R.get("postgres")
    R["postgres"] = R[pg_best]
    for ext in (".load",):
        src = os.path.join(res, pg_best + ext)
        if os.path.exists(src):
            open(os.path.join(res, "postgres" + ext + ".best"), "w").write(
                open(src).read())
cols = [("shelterd single", "single"), ("shelterd batch", "batch"),
        ("nng echo", "echo"), ("LMDB @single", "lmdb_single"),
        ("LMDB @batch", "lmdb_batch"), ("PostgreSQL", "postgres")]
rate = {"single": get("single", "updates_per_s"),
        "batch": get("batch", "updates_per_s"),
        "echo": get("echo", "round_trips_per_s"),
        "lmdb_single": get("lmdb_single", "puts_per_s"),
        "lmdb_batch": get("lmdb_batch", "puts_per_s"),
        "postgres": get("postgres", "updates_per_s")}
lat = {"single": get("single", "ack_latency"),
       "batch": get("batch", "ack_latency"),
       "echo": get("echo", "latency"),
       "lmdb_single": get("lmdb_single", "commit_latency"),
       "lmdb_batch": get("lmdb_batch", "commit_latency"),
       "postgres": get("postgres", "ack_latency")}
setup = {"single": f"{conns} conns, 1/req",
         "batch": f"{bconns} conns, {bsize}/req",
         "echo": f"{conns} reqs, 100 B",
         "lmdb_single": f"{get('lmdb_single', 'batch') or '?'} puts/commit",
         "lmdb_batch": f"{get('lmdb_batch', 'batch') or '?'} puts/commit",
         "postgres": f"{conns} conns, 1 UPDATE" +
                     (" (tuned)" if pg_best == "postgres_tuned" else "")}
rows = [("setup", lambda k: setup[k]),
        ("updates/s (msgs, puts)", lambda k: num(rate[k])),
        ("latency p50 ms", lambda k: ms(lat[k] and lat[k]["p50_us"] * 1)),
        ("latency p99 ms", lambda k: ms(lat[k] and lat[k]["p99_us"])),
        ("latency p99.9 ms", lambda k: ms(lat[k] and lat[k]["p999_us"])),
        ("updates per commit", lambda k: num(
            get(k, "lmdb", "updates_per_commit"), "{:,.1f}")),
        ("server CPU s/1k", lambda k: num(
            get(k, "daemon", "cpu_s_per_1k_updates")
            if k in ("single", "batch") else
            get(k, "server_cpu_s_per_1k_updates") if k == "postgres" else
            get(k, "server_cpu_s_per_1k") if k == "echo" else None,
            "{:.4f}")),
        ("daemon peak RSS MB", lambda k: num(
            get(k, "daemon", "vmhwm_kb") and
            get(k, "daemon", "vmhwm_kb") / 1024, "{:.1f}")),
        ("load avg at start", lambda k: load(k)),
        ("exit status", lambda k: "-" if R.get(k) is None else
            str(R[k]["_rc"]))]
w0 = max(len(r[0]) for r in rows)
cells = [[f(k) for _, k in cols] for _, f in rows]
ws = [max(len(c[0]) for c in [[h]] + [[cells[i][j]] for i in
      range(len(rows))]) for j, (h, _) in enumerate(cols)]
line = "| " + " | ".join([" " * w0] + [h.ljust(ws[j]) for j, (h, _) in
                                        enumerate(cols)]) + " |"
print(line)
print("|" + "|".join(["-" * (w0 + 2)] + ["-" * (w + 2) for w in ws]) + "|")
for i, (label, _) in enumerate(rows):
    print("| " + " | ".join([label.ljust(w0)] + [cells[i][j].rjust(ws[j])
          for j in range(len(cols))]) + " |")
print()
print("Latency: shelterd and PostgreSQL from sending a report to its ack "
      "(a\nbatch request's ack for batch mode); nng echo one round trip; "
      "LMDB one\nwrite txn with its synced commit. CPU: the server process "
      "(PostgreSQL:\npostmaster and all its children) per 1,000 updates, "
      "round trips.")
print()

def ratio(a, b, fmt):
    return "-" if a is None or b in (None, 0) else fmt.format(a / b)

def p(name, k):
    l = lat.get(name) if name in lat else get(name, "ack_latency")
    return None if l is None else l[k]

def pg_line(label, j, name):
    if not j:
        return
    l = j.get("ack_latency") or {}
    print(f"  {label}: {num(j.get('updates_per_s'))} updates/s, p50 "
          f"{ms(l.get('p50_us'))} ms, p99 {ms(l.get('p99_us'))} ms "
          f"(exit status {j.get('_rc')}, load avg at start "
          f"{open(os.path.join(res, name + '.load')).read().strip()})")
if R.get("postgres_tuned"):
    print("PostgreSQL, both baselines (the table and ratios use the "
          "better):")
    pg_line("as shipped", R.get("postgres_as_shipped") or
            R.get("postgres"), "postgres")
    pg_line("tuned (group commit, 256 MB buffers, no checkpoint)",
            R.get("postgres_tuned"), "postgres_tuned")
    print()
print("Ratios")
print(f"  shelterd single / nng echo limit:     "
      f"{ratio(rate['single'], rate['echo'], '{:.0%}')}")
print(f"  shelterd single / LMDB @single:       "
      f"{ratio(rate['single'], rate['lmdb_single'], '{:.0%}')}")
print(f"  shelterd batch / LMDB @batch:         "
      f"{ratio(rate['batch'], rate['lmdb_batch'], '{:.0%}')}")
print(f"  shelterd single / PostgreSQL:         "
      f"{ratio(rate['single'], rate['postgres'], '{:.2f}x')} throughput, "
      f"{ratio(p('single', 'p50_us'), p('postgres', 'p50_us'), '{:.2f}x')}"
      f" p50 latency, "
      f"{ratio(p('single', 'p99_us'), p('postgres', 'p99_us'), '{:.2f}x')}"
      f" p99 latency")
print(f"  shelterd batch / PostgreSQL:          "
      f"{ratio(rate['batch'], rate['postgres'], '{:.1f}x')} throughput")
for mode in ("single", "batch"):
    lk = get(f"lmdb_like_{mode}", "updates_per_s")
    print(f"  shelterd {mode} / LMDB like the daemon: "
          f"{ratio(rate[mode], lk, '{:.0%}')} (LMDB writing what the "
          f"daemon writes per update, {get(f'lmdb_like_{mode}', 'batch')}"
          f" updates/commit: {num(lk)} updates/s, "
          f"{num(get(f'lmdb_like_{mode}', 'puts_per_s'))} puts/s; load "
          f"{load(f'lmdb_like_{mode}')})")
print()
pa = R.get("paced")
if pa:
    esc = pa.get("escalation") or {}
    el = esc.get("latency") or {}
    print(f"Paced: {prate} updates/s over {conns} connections, {subs} "
          f"subscribers (exit status {pa['_rc']}, load avg at start "
          f"{load('paced')})")
    print(f"  achieved {num(pa.get('updates_per_s'))} updates/s; ack "
          f"latency p50 {ms(pa['ack_latency']['p50_us'])} ms, p99 "
          f"{ms(pa['ack_latency']['p99_us'])} ms, p99.9 "
          f"{ms(pa['ack_latency']['p999_us'])} ms")
    print(f"  escalation latency p50 {ms(el.get('p50_us'))} ms, p99 "
          f"{ms(el.get('p99_us'))} ms, p99.9 {ms(el.get('p999_us'))} ms "
          f"({esc.get('matched', 0)} of {esc.get('driven', 0)} driven x "
          f"{esc.get('subscribers', 0)} subscribers matched)")
e1 = get("echo1", "latency", "p50_us")
l1 = get("lmdb1", "commit_latency", "p50_us")
if e1 is not None and l1 is not None:
    print(f"  reference: one nng round trip p50 {ms(e1)} ms + one synced "
          f"commit p50 {ms(l1)} ms = {ms(e1 + l1)} ms")
pl = R.get("place")
if pl:
    rt = pl.get("round_trip") or {}
    print(f"Placement: {pl.get('requests', 0)} requests over "
          f"{num(pl.get('shelters'))} shelters ({pl.get('held', 0)} held, "
          f"{pl.get('unplaced', 0)} unplaced; exit status {pl['_rc']}), "
          f"round trip p50 {ms(rt.get('p50_us'))} ms, p99 "
          f"{ms(rt.get('p99_us'))} ms")
print()
if any(k.startswith("scale_") for k in R):
    print("Scale (batch mode, 3 s each)")
    print("| shelters | updates/s | peak RSS MB | data.mdb bytes/shelter "
          "| shelters table bytes/shelter | restart to serving ms "
          "| placement p50 / p99 ms "
          f"| escalation p50 / p99 ms ({prate}/s, {subs} subscribers) "
          "| exit status | load avg at start |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in (100, 10000, 100000):
        k = f"scale_{n}"
        if k not in R:
            continue
        rm = os.path.join(res, f"restart_{n}.ms")
        rms = open(rm).read().strip() if os.path.exists(rm) else "-"
        hwm = get(k, "daemon", "vmhwm_kb")
        pk = f"place_{n}"
        pl = (f"{ms(get(pk, 'round_trip', 'p50_us'))} / "
              f"{ms(get(pk, 'round_trip', 'p99_us'))}"
              f" ({get(pk, 'held')} held, load {load(pk)})")
        ek = f"paced_{n}"
        es = (f"{ms(get(ek, 'escalation', 'latency', 'p50_us'))} / "
              f"{ms(get(ek, 'escalation', 'latency', 'p99_us'))}"
              f" (load {load(ek)})")
        print(f"| {n:,} | {num(get(k, 'updates_per_s'))} | "
              f"{num(hwm and hwm / 1024, '{:.1f}')} | "
              f"{num(get(k, 'lmdb', 'bytes_per_shelter'))} | "
              f"{num(get(k, 'lmdb', 'shelters_db_bytes_per_entry'))} | "
              f"{rms} | {pl} | {es} | "
              f"{R[k]['_rc'] if R[k] else '-'} | {load(k)} |")
    print()

    # RSS split: anonymous (heap: the daemon's own memory) and file
    # (data.mdb pages mapped in, which the kernel reclaims under
    # pressure). Per shelter: the growth over the 100-shelter daemon.
    def rss_idle(n):
        f = os.path.join(res, f"restart_{n}.rss")
        try:
            a, fl = open(f).read().split()[:2]
            return int(a), int(fl)
        except (OSError, ValueError):
            return None, None
    base = {"load": (get("scale_100", "daemon", "rss_anon_kb"),
                     get("scale_100", "daemon", "rss_file_kb")),
            "idle": rss_idle(100)}
    print("Memory as users see it (anonymous = heap, file = data.mdb "
          "pages mapped)")
    print("| shelters | after load: anon MB | after load: file MB "
          "| idle after restart: anon MB | idle: file MB "
          "| anon KB per shelter (load / idle, over 100 shelters) |")
    print("|---:|---:|---:|---:|---:|---:|")
    for n in (100, 10000, 100000):
        k = f"scale_{n}"
        if k not in R:
            continue
        la = get(k, "daemon", "rss_anon_kb")
        lf = get(k, "daemon", "rss_file_kb")
        ia, iff = rss_idle(n)

        def per(v, b):
            if n == 100 or v is None or b is None:
                return "-"
            return f"{(v - b) / (n - 100):.2f}"
        print(f"| {n:,} | {num(la and la / 1024, '{:.1f}')} | "
              f"{num(lf and lf / 1024, '{:.1f}')} | "
              f"{num(ia and ia / 1024, '{:.1f}')} | "
              f"{num(iff and iff / 1024, '{:.1f}')} | "
              f"{per(la, base['load'][0])} / "
              f"{per(ia, base['idle'][0])} |")
    print()
print(open(os.path.join(res, "machine.txt")).read().splitlines()[-1])
EOF

if [ "$failed" -ne 0 ]; then
	echo "bench: some steps failed (see above)" >&2
	exit 1
fi

"""The benchmark tools build and run: loadgen against the real daemon on
ipc:// for about a second in each mode, and the probe. Correctness only:
a speed threshold never belongs in a test (BENCHMARKS.md has the
numbers, tools/bench.sh makes them, with many connections; here one
connection is enough to check the tool)."""
import json
import os
import subprocess

from harness import Daemon, check, check_eq, main

LOADGEN = os.environ["LOADGEN"]
PROBE = os.environ["PROBE"]


def run(*args, timeout=60):
    p = subprocess.run(list(args), capture_output=True, text=True,
                       timeout=timeout)
    return p


def run_json(*args):
    p = run(*args)
    check_eq(p.returncode, 0, f"{os.path.basename(args[0])} {args[1:]}: "
             f"{p.stderr}")
    return json.loads(p.stdout)


def with_daemon(shelters, body):
    d = Daemon()
    reg = os.path.join(d.tmp, "registry")
    p = run(LOADGEN, "gen-registry", "--shelters", str(shelters), reg)
    check_eq(p.returncode, 0, f"gen-registry: {p.stderr}")
    d.registry = reg
    try:
        d.start()
        body(d, reg)
        d.stop()
    finally:
        d.cleanup()


def loadgen(d, reg, *args):
    return run_json(LOADGEN, "--api", d.api, "--events", d.events,
                    "--registry", reg, "--daemon-pid", str(d.proc.pid),
                    "--data-dir", d.data, "--warmup", "0", "--json", *args)


def test_single_mode_with_subscribers():
    def body(d, reg):
        # Paced, so the one subscriber keeps up even in a sanitizer build.
        r = loadgen(d, reg, "--mode", "single", "--connections", "1",
                    "--duration", "1", "--rate", "200", "--subscribers",
                    "1", "--escalate-every", "5")
        check(r["acked_updates"] > 0, f"acked updates: {r}")
        check_eq(r["refused"], 0, "refused")
        check_eq(r["errors"], 0, "errors")
        check(r["ack_latency"]["samples"] > 0, "ack latency samples")
        check(r["escalation"]["matched"] > 0, f"escalations seen: {r}")
        check(r["daemon"]["vmhwm_kb"] > 0, "daemon peak RSS read")
        check(r["lmdb"]["commits"] > 0, "LMDB commits counted")
        check(r["lmdb"]["shelters_stored"] > 0, "shelters in LMDB")
    with_daemon(200, body)


def test_batch_mode():
    def body(d, reg):
        r = loadgen(d, reg, "--mode", "batch", "--batch-size", "50",
                    "--connections", "1", "--duration", "1")
        check(r["acked_updates"] > 0, f"acked updates: {r}")
        check_eq(r["acked_updates"] % 50, 0, "whole batches acked")
        check_eq(r["refused"] + r["errors"], 0, "refused or errors")
        # A second run against the same data: seqs keep increasing.
        r = loadgen(d, reg, "--mode", "batch", "--batch-size", "50",
                    "--connections", "1", "--duration", "0.5")
        check(r["acked_updates"] > 0, "acked on the second run")
        check_eq(r["refused"], 0, "no stale seq on the second run")
        # Placement round trips over the shelters that reported: each
        # hold is cancelled, so every request finds a bed.
        p = run_json(LOADGEN, "place", "--api", d.api, "--registry", reg,
                     "--count", "10", "--json")
        check_eq((p["requests"], p["held"], p["unplaced"]), (10, 10, 0),
                 f"placements: {p}")
        check_eq(p["round_trip"]["samples"], 10, "round trips timed")
        check(p["round_trip"]["p50_us"] > 0, "a round trip takes time")
        left = d.ctl("--json", "placements").json()
        check(all(x["state"] == "cancelled" for x in left),
              f"no hold left behind: {left}")
    with_daemon(200, body)


def test_probe():
    d = Daemon()  # only for its temp dir
    try:
        r = run_json(PROBE, "nng", "--url", f"ipc://{d.tmp}/probe.sock",
                     "--connections", "4", "--duration", "1", "--warmup",
                     "0", "--json")
        check(r["round_trips"] > 0, f"round trips: {r}")
        check_eq(r["errors"], 0, "probe nng errors")
        r = run_json(PROBE, "lmdb", "--batch", "10", "--keys", "100",
                     "--dir", d.tmp, "--duration", "1", "--warmup", "0",
                     "--json")
        check(r["puts"] > 0, f"puts: {r}")
        check_eq(os.listdir(d.tmp), [], "probe lmdb removed its temp env")
        # Like the daemon: per update 2 samples + shelter, region and
        # national; an event (and the next seq) every 3rd update.
        r = run_json(PROBE, "lmdb", "--like-daemon", "--batch", "10",
                     "--samples", "2",
                     "--keys", "100", "--events-every", "3",
                     "--dir", d.tmp, "--duration", "1", "--warmup", "0",
                     "--json")
        check(r["like_daemon"] is True and r["updates_per_s"] > 0,
              f"like-daemon: {r}")
        ratio = r["puts_per_s"] / r["updates_per_s"]
        check(5.5 < ratio < 5.7, f"puts per update {ratio}, not 5 + 2/3")
        check_eq(os.listdir(d.tmp), [], "probe lmdb removed its temp env")
    finally:
        d.cleanup()


def test_usage_errors():
    p = run(LOADGEN, "--help")
    check_eq(p.returncode, 0, "loadgen --help")
    for flag in ("--registry", "--connections", "--mode", "--batch-size",
                 "--rate", "--duration", "--subscribers", "--daemon-pid",
                 "--data-dir", "--json"):
        check(flag in p.stdout, f"--help mentions {flag}")
    p = run(LOADGEN, "--connections", "many", "--registry", "/nonexistent")
    check_eq(p.returncode, 2, "bad number")
    check("--connections" in p.stderr, f"names the flag: {p.stderr}")
    p = run(LOADGEN, "--duration", "1")
    check_eq(p.returncode, 2, "no registry")
    p = run(LOADGEN, "--registry", "/nonexistent/dir")
    check_eq(p.returncode, 2, "missing registry")
    check("regions.csv" in p.stderr, f"says which file: {p.stderr}")
    p = run(PROBE, "--help")
    check_eq(p.returncode, 0, "probe --help")
    p = run(PROBE, "disk")
    check_eq(p.returncode, 2, "probe without nng|lmdb")


def test_daemon_not_running():
    d = Daemon()
    try:
        reg = os.path.join(d.tmp, "registry")
        run(LOADGEN, "gen-registry", "--shelters", "10", reg)
        p = run(LOADGEN, "--api", d.api, "--registry", reg, "--connections",
                "2", "--duration", "0.2")
        check_eq(p.returncode, 3, f"unreachable: {p.stderr}")
        check("cannot reach" in p.stderr, p.stderr)
    finally:
        d.cleanup()


if __name__ == "__main__":
    main([test_single_mode_with_subscribers, test_batch_mode, test_probe,
          test_usage_errors, test_daemon_not_running])

"""[daemon] overlap_sync = 1: a commit's meta page is synced on a thread
while the loop takes the next batch, and every reply waits for that sync.
Correctness only (BENCHMARKS.md, "Single-update mode", has the numbers):
loadgen runs flat out and paced with a subscriber for about a second each
against it (so the mode cannot rot), the daemon stops cleanly and keeps
what it acked across a restart, and the crash test's SIGKILL run loses
nothing acknowledged with the mode on."""
import json
import os
import subprocess
import sys

from harness import BIN, TESTS_DIR, Daemon, Failure, check, check_eq, main

LOADGEN = os.environ["LOADGEN"]
CRASHTEST = os.path.join(TESTS_DIR, "..", "..", "tools", "crashtest.py")
CONFIG = "[daemon]\noverlap_sync = 1\n"


def loadgen(d, reg, *args):
    p = subprocess.run([LOADGEN, "--api", d.api, "--events", d.events,
                        "--registry", reg, "--daemon-pid", str(d.proc.pid),
                        "--data-dir", d.data, "--warmup", "0", "--json",
                        *args], capture_output=True, text=True, timeout=60)
    check_eq(p.returncode, 0, f"loadgen {args}: {p.stderr}")
    return json.loads(p.stdout)


def test_loadgen_against_overlap():
    d = Daemon(config=CONFIG)
    reg = os.path.join(d.tmp, "registry")
    try:
        p = subprocess.run([LOADGEN, "gen-registry", "--shelters", "200",
                            reg], capture_output=True, text=True)
        check_eq(p.returncode, 0, f"gen-registry: {p.stderr}")
        d.registry = reg
        d.start()
        check("overlap_sync: meta page synced off the loop" in d.read_log(),
              "the daemon says the mode is on")
        # Flat out: batches overlap the sync before them.
        r = loadgen(d, reg, "--mode", "single", "--connections", "8",
                    "--duration", "1")
        check(r["acked_updates"] > 0, f"acked updates: {r}")
        check_eq(r["refused"] + r["errors"], 0, "refused or errors")
        # Paced, with escalations: published and long-polled after a
        # sync on the loop.
        r = loadgen(d, reg, "--mode", "single", "--connections", "1",
                    "--duration", "1", "--rate", "200", "--subscribers",
                    "1", "--escalate-every", "5")
        check(r["acked_updates"] > 0, f"acked updates: {r}")
        check_eq(r["refused"] + r["errors"], 0, "refused or errors")
        check(r["escalation"]["matched"] > 0, f"escalations seen: {r}")
        before = d.status()["regions"]
        d.stop()
        # What was acked is on disk: the same picture after a restart.
        d.start()
        check_eq(d.status()["regions"], before, "regions after a restart")
        r = loadgen(d, reg, "--mode", "single", "--connections", "8",
                    "--duration", "0.5")
        check(r["acked_updates"] > 0, "acked after the restart")
        d.stop()
    finally:
        d.cleanup()


def test_crash_with_overlap():
    d = Daemon()
    conf = os.path.join(d.tmp, "overlap.conf")
    with open(conf, "w") as f:
        f.write(CONFIG)
    args = [sys.executable, CRASHTEST,
            "--shelterd", BIN["SHELTERD"],
            "--shelter-report", BIN["SHELTER_REPORT"],
            "--shelterctl", BIN["SHELTERCTL"],
            "--coord-watch", BIN["COORD_WATCH"],
            "--shelters", "20", "--kills", "5", "--duration", "10",
            "--signal", "KILL", "--config", conf]
    if os.environ.get("CRASHTEST_SEED"):
        args += ["--seed", os.environ["CRASHTEST_SEED"]]
    try:
        try:
            p = subprocess.run(args, capture_output=True, text=True,
                               timeout=100)
        except subprocess.TimeoutExpired as e:
            raise Failure(f"crashtest did not finish: {e.stdout!r}")
        print(p.stdout, end="")
        print(p.stderr, end="", file=sys.stderr)
        check_eq(p.returncode, 0, "crashtest exit status")
        summary = [line for line in p.stdout.splitlines()
                   if line.startswith("crashtest: sent ")]
        check(len(summary) == 1 and summary[0].endswith(", lost 0") and
              "verified 20/20 shelters" in summary[0] and
              " contiguous," in summary[0] and "NOT" not in summary[0],
              f"crashtest summary: {summary}")
    finally:
        d.cleanup()


if __name__ == "__main__":
    main([test_loadgen_against_overlap, test_crash_with_overlap])

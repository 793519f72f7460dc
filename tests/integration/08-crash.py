"""The crash test at CI size: tools/crashtest.py drives 20 simulated
shelters with the real shelter-report while shelterd is stopped at random
moments at least 5 times and restarted on the same data dir; no
acknowledged update may be lost, the aggregates must match the shelters and
event_seq must stay gap-free. Once with SIGKILL, once with SIGTERM (then
every stop must also exit 0, which crashtest checks).

CRASHTEST_SEED=N repeats a run (the seed is printed with the counts)."""
import os
import subprocess
import sys

from harness import BIN, TESTS_DIR, Failure, check

CRASHTEST = os.path.join(TESTS_DIR, "..", "..", "tools", "crashtest.py")


def crashtest(*extra):
    args = [sys.executable, CRASHTEST,
            "--shelterd", BIN["SHELTERD"],
            "--shelter-report", BIN["SHELTER_REPORT"],
            "--shelterctl", BIN["SHELTERCTL"],
            "--coord-watch", BIN["COORD_WATCH"],
            "--shelters", "20", "--kills", "5", "--duration", "10", *extra]
    if os.environ.get("CRASHTEST_SEED"):
        args += ["--seed", os.environ["CRASHTEST_SEED"]]
    # crashtest bounds itself (load, then at most a minute to finish its
    # kills); this only guards against a hang, inside meson's 120 s.
    try:
        p = subprocess.run(args, capture_output=True, text=True, timeout=110)
    except subprocess.TimeoutExpired as e:
        raise Failure(f"crashtest did not finish: {e.stdout!r}")
    # The counts go to the test log whether it passes or not.
    print(p.stdout, end="")
    print(p.stderr, end="", file=sys.stderr)
    if p.returncode != 0:
        raise Failure(f"crashtest exit {p.returncode}")
    summary = [line for line in p.stdout.splitlines()
               if line.startswith("crashtest: sent ")]
    check(len(summary) == 1 and summary[0].endswith(", lost 0") and
          "verified 20/20 shelters" in summary[0] and
          " contiguous," in summary[0] and "NOT" not in summary[0],
          f"crashtest summary: {summary}")
    return summary[0]


def test_sigkill_under_load():
    crashtest("--signal", "KILL")


def test_sigterm_under_load():
    crashtest("--signal", "TERM")


if __name__ == "__main__":
    from harness import main
    main([test_sigkill_under_load, test_sigterm_under_load])

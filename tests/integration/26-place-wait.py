"""region-place request says what it waits for and for how long, shows
progress while it waits, and on Ctrl-C (SIGINT, sent here) says what
happened to the request: still held until the hold deadline, or cancelled
with --cancel-on-interrupt. The real binary against the real daemon."""
import re
import signal
import subprocess
import threading
import time

from harness import BIN, Daemon, Failure, check, check_eq, main

REGIONS = """code,name,province,seat,lat,lon,neighbours
R1,Region One,P,S1,52.0,5.0,R2
R2,Region Two,P,S2,52.1,5.1,R1
"""
SHELTERS = """id,name,region,security_level,beds
A1,Shelter A1,R1,1,women:4
B1,Shelter B1,R2,1,women:4
"""


def daemon():
    d = Daemon(config="[daemon]\ntick_ms = 100\n"
                      "[placement]\nhold_ttl_secs = 300\n")
    d.with_registry(REGIONS, SHELTERS).start()
    for sid in ("A1", "B1"):
        check_eq(d.report("-s", sid, "-b", "women=4/0").rc, 0, sid)
    return d


class Request:
    """region-place request in the background; stderr read line by
    line."""

    def __init__(self, d, rid, *args):
        self.proc = subprocess.Popen(
            [BIN["REGION_PLACE"], "request", "-r", "R1", "-c", "women",
             "-C", "R1-2026-0001", "-i", rid, *args], env=d.env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.err = []
        self.t = threading.Thread(target=self.read, daemon=True)
        self.t.start()

    def read(self):
        for line in self.proc.stderr:
            self.err.append(line.rstrip("\n"))

    def wait_for(self, pattern, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.err:
                if re.search(pattern, line):
                    return line
            check(self.proc.poll() is None or self.t.is_alive(),
                  f"region-place ended: {self.err}")
            time.sleep(0.05)
        raise Failure(f"no stderr line like {pattern!r}: {self.err}")

    def interrupt(self):
        self.proc.send_signal(signal.SIGINT)
        try:
            out = self.proc.stdout.read()
            rc = self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise Failure(f"region-place did not end on SIGINT: {self.err}")
        self.t.join(5)
        return rc, out


def status(d, rid):
    r = d.run("REGION_PLACE", "status", rid, "--json")
    check_eq(r.rc, 0, f"status {r}")
    return r.json()


def test_progress_then_interrupt_leaves_it_held():
    d = daemon()
    try:
        r = Request(d, "wait1", "--wait", "120", "--progress", "1")
        start = r.wait_for(r"request wait1: asking shelterd")
        check("waiting up to 120 s" in start and "leaves the request open"
              in start and "hold deadline" in start, start)
        held = r.wait_for(r"a bed is held in R2 until \d\d:\d\d:\d\dZ "
                          r"\(\d+ s more\)")
        check(re.search(r"waiting 1[12]\d s more", held), held)
        # Progress while nothing changes: another line a second later.
        n = len([l for l in r.err if "is held in R2" in l])
        deadline = time.monotonic() + 10
        while len([l for l in r.err if "is held in R2" in l]) < n + 2:
            check(time.monotonic() < deadline, f"no progress: {r.err}")
            time.sleep(0.1)
        check(re.search(r"waited [1-9]\d* s", r.err[-1]), r.err[-1])
        rc, out = r.interrupt()
        check_eq(rc, 4, f"exit status on SIGINT {r.err}")
        check("HELD: a bed is held in R2" in out, out)
        last = r.err[-1]
        check(re.search(r"interrupted; request wait1 is still open: a bed "
                        r"stays held in R2 until \d\d:\d\d:\d\dZ", last) and
              "region-place cancel wait1" in last, last)
        check_eq(status(d, "wait1")["state"], "held", "still held")
    finally:
        d.cleanup()


def test_cancel_on_interrupt():
    d = daemon()
    try:
        r = Request(d, "wait2", "--cancel-on-interrupt")
        start = r.wait_for(r"request wait2: asking shelterd")
        check("waiting up to 600 s" in start and
              "Ctrl-C stops waiting and cancels the request" in start, start)
        r.wait_for(r"a bed is held in R2")
        rc, out = r.interrupt()
        check_eq(rc, 1, f"exit status {r.err}")
        check("CANCELLED" in out, out)
        check(re.search(r"interrupted: request wait2 cancelled; the bed "
                        r"held in R2 is free again", r.err[-1]), r.err)
        check_eq(status(d, "wait2")["state"], "cancelled", "cancelled")
        check_eq(d.region("R2", "women")["held"], 0, "no bed held")
    finally:
        d.cleanup()


if __name__ == "__main__":
    main([test_progress_then_interrupt_leaves_it_held,
          test_cancel_on_interrupt])

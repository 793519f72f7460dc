#!/usr/bin/env python3
"""crashtest: kill shelterd under load, again and again, and check that
nothing it acknowledged was lost.

Simulated shelters (threads) send reports with the real `shelter-report`,
each with a strictly increasing seq, while a killer sends SIGKILL (or
SIGTERM, --signal TERM) to `shelterd` at random moments and restarts it on
the same LMDB data dir. After a final clean restart it checks:

  shelters    stored last_seq >= the highest acknowledged seq; it is a seq
              that was sent; the stored status and beds are exactly what was
              sent with it
  aggregates  every region's and the national totals equal the sum of the
              stored shelters, and each level agrees with the rules
  event log   `coord-watch --since 0` gives event_seq 1..N, no gap, no
              repeat, N = status' last_event_seq; each alert's events chain
              (previous_level = the level of its event before) and its last
              event is the level the daemon shows now

and prints one line of counts. Exit status: 0 all checks hold (lost 0),
1 a check failed, 2 bad usage or the run could not be set up.

Everything runs in a fresh temp dir: ipc:// sockets, its own data dir, its
own registry (unless --registry). Standard library only: python3 is there
because meson needs it.
"""
import argparse
import csv
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The escalation thresholds shelterd uses when no config file changes them
# (core/escalate.c, esc_thresholds_default). The run passes no config.
REGION_WARNING_PCT = 90
REGION_CRITICAL_PCT = 100
HYSTERESIS_PCT = 5
MIN_COVERAGE_PCT = 50  # [alerts] min_coverage_pct

LEVEL_RANK = {"ok": 0, "warning": 1, "critical": 2}

# shelter-report's exit statuses (its --help).
EXIT_STORED, EXIT_REFUSED, EXIT_UNREACHABLE = 0, 1, 3


class SetupError(Exception):
    """The run could not be set up: not a finding about shelterd."""


class Fatal(Exception):
    """A finding that stops the run (shelterd does not come back, or does
    not answer the checks): fails it like any other problem."""


class Problems:
    """Findings, collected from every thread; any one fails the run."""

    def __init__(self):
        self._lock = threading.Lock()
        self.items = []

    def add(self, text):
        with self._lock:
            self.items.append(text)

    def __bool__(self):
        with self._lock:
            return bool(self.items)


class Registry:
    """The shelters the run drives: (id, region, {category: capacity}).

    The default registry is written into the temp dir, so the run does not
    depend on the demo registry's contents. Categories are spread so that
    the rare ones (highsec, children) exist in only a few shelters: their
    national "no bed free" alert then really fires and clears under load."""

    REGIONS = [("R1", "Crash Region One", "R2"),
               ("R2", "Crash Region Two", "R1 R3"),
               ("R3", "Crash Region Three", "R2")]
    BEDS = ["women:10 minors:4", "women:8", "men:6 children:3",
            "women:6 highsec:2"]

    def __init__(self, path, count, rng):
        self.path = path
        self.shelters = self._read(count, rng)

    @classmethod
    def write_default(cls, path, count):
        os.makedirs(path)
        with open(os.path.join(path, "regions.csv"), "w") as f:
            f.write("code,name,province,seat,lat,lon,neighbours\n")
            for n, (code, name, neigh) in enumerate(cls.REGIONS):
                f.write(f"{code},{name},Crash,Seat{n + 1},"
                        f"52.{n},5.{n},{neigh}\n")
        with open(os.path.join(path, "shelters.csv"), "w") as f:
            f.write("id,name,region,security_level,beds\n")
            for i in range(count):
                region = cls.REGIONS[i % len(cls.REGIONS)][0]
                f.write(f"C{i + 1:02d},Crash {i + 1:02d},{region},{i % 4},"
                        f"{cls.BEDS[i % len(cls.BEDS)]}\n")

    def _read(self, count, rng):
        with open(os.path.join(self.path, "shelters.csv"),
                  newline="") as f:
            rows = list(csv.DictReader(f))
        if len(rows) < count:
            raise SetupError(f"{self.path}/shelters.csv has {len(rows)} "
                             f"shelters, --shelters asks for {count}")
        # A seeded choice, kept in registry order, so a seed names a run.
        picked = sorted(rng.sample(range(len(rows)), count))
        out = []
        for i in picked:
            r = rows[i]
            beds = {c.split(":")[0]: int(c.split(":")[1])
                    for c in r["beds"].split()}
            out.append((r["id"], r["region"], beds))
        return out


class Tools:
    """The real client binaries, pointed at this run's daemon."""

    def __init__(self, args, daemon_env):
        self.report_bin = args.shelter_report
        self.ctl_bin = args.shelterctl
        self.watch_bin = args.coord_watch
        self.env = daemon_env
        # Another change adds a local outbox to shelter-report. Here a
        # report that got no ack must stay unacked, not be re-delivered
        # later behind the run's back, so the outbox is off when the
        # binary knows the flag.
        help_text = subprocess.run([self.report_bin, "--help"],
                                   capture_output=True, text=True,
                                   env=self.env, timeout=10).stdout
        self.report_flags = (["--no-outbox"] if "--no-outbox" in help_text
                             else [])

    def report(self, args, timeout):
        return subprocess.run([self.report_bin, *self.report_flags, *args],
                              capture_output=True, text=True, env=self.env,
                              timeout=timeout)

    def ctl(self, *args, timeout=20):
        return subprocess.run([self.ctl_bin, *args], capture_output=True,
                              text=True, env=self.env, timeout=timeout)

    def ctl_json(self, *args):
        p = self.ctl("--json", *args)
        if p.returncode != 0:
            raise Fatal(f"shelterctl {' '.join(args)}: exit "
                             f"{p.returncode}: {p.stderr.strip()}")
        return json.loads(p.stdout)


class Daemon:
    """One shelterd at a time on this run's sockets and data dir; started,
    signalled and restarted by the killer, the final stop by main."""

    def __init__(self, binary, tmp, registry, problems):
        self.binary = binary
        self.data = os.path.join(tmp, "data")
        self.api = f"ipc://{tmp}/api.sock"
        self.events = f"ipc://{tmp}/events.sock"
        self.registry = registry
        self.problems = problems
        self.log_path = os.path.join(tmp, "shelterd.log")
        self.proc = None
        self.starts = 0
        self.max_start_secs = 0.0
        # (signalled, answering again) per restart: a report that got no
        # answer outside these windows lost its reply while the daemon ran.
        self.down = []
        self._down_since = None
        home = os.path.join(tmp, "home")
        os.makedirs(home)
        # Clients get the sockets from the environment, and a HOME of
        # their own so nothing they keep (an outbox) leaks out of the run.
        self.env = dict(os.environ, SHELTERD_API=self.api,
                        SHELTERD_EVENTS=self.events, HOME=home,
                        SHELTERD_OUTBOX=os.path.join(home, "outbox"),
                        XDG_STATE_HOME=home, XDG_DATA_HOME=home,
                        XDG_CACHE_HOME=home, XDG_CONFIG_HOME=home)

    @property
    def daemon_env(self):
        """The environment, with nng's own shutdown leaks suppressed for
        sanitizer builds (tools/lsan-nng.supp says why)."""
        supp = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            "lsan-nng.supp")
        lsan = os.environ.get("LSAN_OPTIONS", "")
        return dict(os.environ, LSAN_OPTIONS=(lsan + ":" if lsan else "") +
                    f"suppressions={supp}:print_suppressions=0")

    def start(self, ctl, timeout=30):
        """Start and wait until `shelterctl regions` answers."""
        began = time.monotonic()
        with open(self.log_path, "ab") as log:
            log.write(f"--- crashtest: start #{self.starts + 1}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                [self.binary, "--data-dir", self.data, "--api", self.api,
                 "--events", self.events, "--registry", self.registry,
                 "--http", "", "--log-level", os.environ.get("CRASHTEST_LOG_LEVEL", "info")],
                stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, env=self.daemon_env)
        self.starts += 1
        while time.monotonic() - began < timeout:
            if self.proc.poll() is not None:
                raise Fatal(f"shelterd exited with "
                                 f"{self.proc.returncode} at start "
                                 f"#{self.starts}")
            if ctl("--timeout", "1000", "regions").returncode == 0:
                took = time.monotonic() - began
                if self._down_since is not None:
                    self.down.append((self._down_since, time.monotonic()))
                    self._down_since = None
                self.max_start_secs = max(self.max_start_secs, took)
                return
            time.sleep(0.02)
        raise Fatal(f"shelterd did not answer within {timeout} s "
                    f"of start #{self.starts}{self._stacks()}")

    def _stacks(self):
        """Every thread's stack of a daemon that does not answer (gdb, when
        the machine has it): what a hang needs to be found."""
        gdb = shutil.which("gdb")
        if gdb is None or not self.alive():
            return ""
        p = subprocess.run([gdb, "-p", str(self.proc.pid), "-batch", "-ex",
                            "thread apply all bt"], capture_output=True,
                           text=True, timeout=60)
        return "; its threads:\n" + p.stdout[-6000:]

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig, timeout):
        """Send sig and wait for the exit; returns the exit status (None
        when it did not exit in time: then it is SIGKILLed)."""
        if not self.alive():
            # Nobody else signals it: an exit here is a crash of its own.
            self.problems.add(f"shelterd exited by itself with status "
                              f"{self.proc.returncode} (start "
                              f"#{self.starts})")
            return self.proc.returncode
        self._down_since = time.monotonic()
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None

    def stop(self):
        """A clean stop: SIGTERM must end it with status 0."""
        rc = self.signal(signal.SIGTERM, timeout=20)
        if rc != 0:
            self.problems.add(f"shelterd exited with {rc} on SIGTERM, "
                              f"want 0 (start #{self.starts})")

    def was_up(self, t0, t1):
        """Whether shelterd ran, unsignalled, all of the time t0..t1."""
        return all(t1 < a or t0 > b for a, b in self.down)

    def cleanup(self):
        if self.alive():
            self.proc.kill()
            self.proc.wait()

    def log_tail(self, lines=30):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return "(no log)"


class Load:
    """How full shelters are, over time: one wave for the whole country, so
    that regions pass their thresholds (warning, critical), the rare
    categories run out nationally, and all of it clears again, many times
    during a run."""

    PERIOD = 4.0  # seconds per wave

    def __init__(self):
        self.t0 = time.monotonic()

    def pressure(self):
        t = time.monotonic() - self.t0
        # -0.1 .. 1.1: clipped below, so troughs empty and crests fill.
        return 0.5 + 0.6 * math.sin(2 * math.pi * t / self.PERIOD)


class Shelter(threading.Thread):
    """One simulated shelter: reports its beds over and over, each report a
    new seq, and records what it sent and what was acknowledged."""

    def __init__(self, sid, beds, tools, load, rng, stop, problems, timeout):
        super().__init__(name=f"shelter-{sid}", daemon=True)
        self.sid = sid
        self.capacity = beds
        self.tools = tools
        self.load = load
        self.rng = rng
        self.stop = stop
        self.problems = problems
        self.timeout_ms = timeout
        self.sent = {}  # seq -> (status, {category: (cap, occ, oos)})
        self.acked = set()
        self.attempts = 0
        self.unanswered = []  # (start, end) of reports that got no answer
        self.duplicates = 0
        self.hung = 0  # runs killed long after their --timeout

    def _new_report(self):
        p = self.load.pressure()
        r = self.rng.random()
        # Mostly open; a paused or closed shelter has no free beds, which
        # the aggregates must reflect.
        status = "paused" if r < 0.05 else "closed" if r < 0.07 else "open"
        beds = {}
        for cat, cap in self.capacity.items():
            occ = round(cap * p + self.rng.gauss(0, 0.1 * cap + 0.5))
            occ = min(max(occ, 0), cap)
            # Now and then a bed out of service, which may push a full
            # shelter over capacity: stored and flagged, never clipped.
            oos = 1 if self.rng.random() < 0.1 else 0
            beds[cat] = (cap, occ, oos)
        return status, beds

    def run(self):
        seq = 0
        retry = None  # (seq, observed_at) of an unanswered report
        while not self.stop.is_set():
            if retry is not None:
                seq, observed = retry
            else:
                seq += 1
                observed = int(time.time())
                self.sent[seq] = self._new_report()
            retry = None
            status, beds = self.sent[seq]
            args = ["--shelter", self.sid, "--seq", str(seq),
                    "--observed-at", str(observed), "--status", status,
                    "--timeout", str(self.timeout_ms)]
            for cat, (cap, occ, oos) in beds.items():
                args += ["--beds", f"{cat}={cap}/{occ}/{oos}"]
            self.attempts += 1
            t0 = time.monotonic()
            try:
                p = self.tools.report(args, timeout=self.timeout_ms / 1000
                                      * 3 + 10)
            except subprocess.TimeoutExpired:
                # It answers or gives up within its own --timeout (dial,
                # send, receive); far beyond that it hangs, or the machine
                # is badly overloaded. Killed, it is just not acked.
                self.hung += 1
                self.unanswered.append((t0, time.monotonic()))
                continue
            if p.returncode == EXIT_STORED:
                self.acked.add(seq)
                if "already stored" in p.stdout:
                    self.duplicates += 1
            elif p.returncode == EXIT_UNREACHABLE:
                # Down, or killed before answering: the report may or may
                # not have been applied. Half the time send the very same
                # report again, as a shelter (or an outbox) would; that
                # exercises the idempotent seq across crashes.
                self.unanswered.append((t0, time.monotonic()))
                if self.rng.random() < 0.5:
                    retry = (seq, observed)
                # Do not spin while the daemon restarts.
                self.stop.wait(self.rng.uniform(0.02, 0.06))
            else:
                # Seqs only grow and a retry repeats the same content, so
                # no refusal is legitimate here.
                self.problems.add(f"shelter-report {self.sid} seq {seq}: "
                                  f"exit {p.returncode}: "
                                  f"{p.stderr.strip()}")
                self.stop.wait(0.1)


class Killer(threading.Thread):
    """Signals shelterd at random moments and restarts it on the same data
    dir, until the load phase is over and at least --kills were done."""

    def __init__(self, daemon, tools, sig, kills, duration, rng, problems,
                 give_up_at):
        super().__init__(name="killer", daemon=True)
        self.daemon_ = daemon
        self.tools = tools
        self.sig = sig
        self.min_kills = kills
        self.duration = duration
        self.rng = rng
        self.problems = problems
        self.give_up_at = give_up_at
        self.kills = 0
        self.error = None
        self.abort = threading.Event()

    def run(self):
        end = time.monotonic() + self.duration
        try:
            while time.monotonic() < end or self.kills < self.min_kills:
                if time.monotonic() > self.give_up_at:
                    self.problems.add(f"only {self.kills} of "
                                      f"{self.min_kills} kills before the "
                                      f"time limit")
                    return
                # Mostly 0.2-1 s under load; now and then right after the
                # restart, while the first batches are being applied.
                pause = (self.rng.uniform(0.0, 0.05)
                         if self.rng.random() < 0.15
                         else self.rng.uniform(0.2, 1.0))
                if self.abort.wait(pause):
                    return
                rc = self.daemon_.signal(self.sig, timeout=20)
                self.kills += 1
                if self.sig == signal.SIGTERM and rc != 0:
                    self.problems.add(f"kill #{self.kills}: shelterd "
                                      f"exited with {rc} on SIGTERM, "
                                      f"want 0")
                self.daemon_.start(self.tools.ctl)
        except Exception as e:  # handed to main, which fails the run
            self.error = e


class Verifier:
    """The checks after the final clean restart; fills `problems` and the
    counts printed at the end."""

    def __init__(self, tools, shelters, region_of, problems):
        self.tools = tools
        self.shelters = shelters
        self.region_of = region_of
        self.problems = problems
        self.lost = 0
        self.verified = 0
        self.applied_unacked = 0
        self.events = 0
        self.contiguous = False
        self.escalations = {}  # "scope level" -> events, to show the mix

    def run(self):
        stored = {s.sid: self.tools.ctl_json("shelter", s.sid)
                  for s in self.shelters}
        status = self.tools.ctl_json("status")
        for s in self.shelters:
            self._check_shelter(s, stored[s.sid])
        self._check_aggregates(stored, status)
        events = self._read_event_log()
        self._check_event_seq(events, status["last_event_seq"])
        self._check_alerts(events, stored, status)

    # -- shelters ------------------------------------------------------

    def _check_shelter(self, s, got):
        last = int(got["last_seq"])
        top_acked = max(s.acked, default=0)
        ok = True
        lost = sorted(q for q in s.acked if q > last)
        if lost:
            self.lost += len(lost)
            ok = False
            self.problems.add(f"{s.sid}: {len(lost)} acknowledged "
                              f"update(s) lost: stored last_seq {last}, "
                              f"acked seq {lost[:5]}")
        if last == 0:
            if top_acked:
                ok = False  # counted as lost above
        elif last not in s.sent:
            ok = False
            self.problems.add(f"{s.sid}: stored last_seq {last} was never "
                              f"sent (highest sent {max(s.sent)})")
        else:
            status, beds = s.sent[last]
            want = {c: {"capacity": cap, "occupied": occ,
                        "out_of_service": oos}
                    for c, (cap, occ, oos) in beds.items()}
            # What the shelter sent; held, free and level are the
            # daemon's own.
            stored = {c: {k: b[k] for k in ("capacity", "occupied",
                                            "out_of_service")}
                      for c, b in got["beds"].items()}
            if got["status"] != status or stored != want:
                ok = False
                if last >= top_acked:
                    # The newest acknowledged values are not there.
                    self.lost += 1
                self.problems.add(f"{s.sid} seq {last}: stored "
                                  f"{got['status']} {got['beds']}, sent "
                                  f"{status} {want}")
            if last > top_acked:
                # Applied, the ack never arrived (killed in between):
                # allowed, and worth a count.
                self.applied_unacked += 1
        if ok:
            self.verified += 1

    # -- aggregates ----------------------------------------------------

    @staticmethod
    def _free(status, b):
        used = b["occupied"] + b["out_of_service"]
        if status != "open" or used >= b["capacity"]:
            return 0
        return b["capacity"] - used

    def _check_aggregates(self, stored, status):
        keys = ("capacity", "occupied", "out_of_service", "free")
        want = {}      # region or None (national) -> cat -> totals
        reported = {}  # region -> shelters with a report
        for sid, got in stored.items():
            if int(got["last_seq"]) == 0:
                continue
            region = self.region_of[sid]
            reported[region] = reported.get(region, 0) + 1
            for scope in (region, None):
                for cat, b in got["beds"].items():
                    t = want.setdefault(scope, {}).setdefault(
                        cat, dict.fromkeys(keys, 0))
                    for k in keys[:3]:
                        t[k] += b[k]
                    t["free"] += self._free(got["status"], b)

        def compare(scope, name, cats):
            exp = want.get(scope, {})
            for cat in sorted(set(cats) | set(exp)):
                have = {k: cats.get(cat, {}).get(k, 0) for k in keys}
                should = exp.get(cat, dict.fromkeys(keys, 0))
                if have != should:
                    self.problems.add(f"{name} {cat}: totals {have}, sum "
                                      f"of the stored shelters {should}")

        for reg in status["regions"]:
            compare(reg["region"], f"region {reg['region']}",
                    reg["categories"])
            if reg["shelters_reported"] != reported.get(reg["region"], 0):
                self.problems.add(
                    f"region {reg['region']}: shelters_reported "
                    f"{reg['shelters_reported']}, want "
                    f"{reported.get(reg['region'], 0)}")
        compare(None, "national", status["national"])

    # -- event log -----------------------------------------------------

    def _read_event_log(self):
        # --since 0 prints the whole log, then follows live; nothing is
        # sending any more, so --wait ends it soon after.
        p = subprocess.run([self.tools.watch_bin, "--json", "--since", "0",
                            "--wait", "2"], capture_output=True, text=True,
                           env=self.tools.env, timeout=120)
        if p.returncode != 0:
            raise Fatal(f"coord-watch --since 0: exit {p.returncode}:"
                             f" {p.stderr.strip()}")
        return [json.loads(line) for line in p.stdout.splitlines()
                if line.strip()]

    def _check_event_seq(self, events, last_event_seq):
        seqs = [int(e["event_seq"]) for e in events]
        for e in events:
            k = f"{e['scope']} {e['level']}"
            self.escalations[k] = self.escalations.get(k, 0) + 1
        self.events = len(seqs)
        self.contiguous = seqs == list(range(1, len(seqs) + 1))
        if not self.contiguous:
            gaps, seen, prev = [], set(), 0
            for q in seqs:
                if q in seen:
                    gaps.append(f"{q} repeated")
                elif q != prev + 1:
                    gaps.append(f"{prev} -> {q}")
                seen.add(q)
                prev = q
            self.problems.add(f"event_seq not 1..{len(seqs)}: "
                              f"{', '.join(gaps[:10])}")
        if (seqs[-1] if seqs else 0) != last_event_seq:
            self.problems.add(f"event log ends at "
                              f"{seqs[-1] if seqs else 0}, status says "
                              f"last_event_seq {last_event_seq}")

    @staticmethod
    def _key(e):
        return (e["scope"], e.get("region"), e.get("shelter"),
                e["category"])

    def _check_alerts(self, events, stored, status):
        """An event lost while its state change was kept (or the reverse)
        breaks an alert's chain of levels or leaves its last event
        disagreeing with what the daemon shows now."""
        last = {}
        for e in events:
            if e["scope"] not in ("shelter", "region", "national") or \
                    e["kind"] != "occupancy":
                continue  # a kind of event this check does not know
            k = self._key(e)
            prev = last.get(k, "cleared")
            if e["previous_level"] != prev:
                self.problems.add(f"event #{e['event_seq']} {k}: "
                                  f"previous_level {e['previous_level']},"
                                  f" but the alert's last event was "
                                  f"{prev}")
            last[k] = e["level"]

        def shown(k):
            lvl = last.get(k, "cleared")
            return "ok" if lvl == "cleared" else lvl

        for reg in status["regions"]:
            for cat, t in reg["categories"].items():
                k = ("region", reg["region"], None, cat)
                self._check_level(k, t, shown(k), region=True)
        for cat, t in status["national"].items():
            k = ("national", None, None, cat)
            self._check_level(k, t, shown(k), region=False)
        for sid, got in stored.items():
            for cat, b in got["beds"].items():
                k = ("shelter", self.region_of[sid], sid, cat)
                free = self._free(got["status"], b)
                want = "warning" if b["capacity"] > 0 and free == 0 \
                    else "ok"
                if shown(k) != want:
                    self.problems.add(f"shelter {sid} {cat}: {free} "
                                      f"free, so {want}, but its last "
                                      f"event says {shown(k)}")

    def _check_level(self, k, t, from_log, region):
        # Levels count known beds (not those of stale shelters), and are
        # raised only where enough of the registered ones are known.
        level, cap, free = t["level"], t["known_capacity"], t["free"]
        covered = t["known_capacity"] * 100 >= \
            MIN_COVERAGE_PCT * t["registered_capacity"]
        if level != from_log:
            self.problems.add(f"{k}: level {level}, last event says "
                              f"{from_log}")
        if cap == 0:
            ok = level == "ok"
        elif region:
            # With hysteresis the level depends on the way there; it must
            # still lie between what the thresholds allow.
            used100 = (cap - free) * 100
            up = (2 if used100 >= REGION_CRITICAL_PCT * cap else
                  1 if used100 >= REGION_WARNING_PCT * cap else 0)
            hold = (2 if used100 >= (REGION_CRITICAL_PCT - HYSTERESIS_PCT)
                    * cap else 1 if used100 >= (REGION_WARNING_PCT -
                                                HYSTERESIS_PCT) * cap
                    else 0)
            ok = (up if covered else 0) <= LEVEL_RANK[level] <= hold
        else:
            ok = level == ("critical" if free == 0 else "ok") or \
                (not covered and level == "ok")
        if not ok:
            self.problems.add(f"{k}: level {level} with {free} of {cap} "
                              f"free breaks the escalation rules")


def parse_args(argv):
    def build(path):
        return os.path.join(ROOT, "build", path)

    ap = argparse.ArgumentParser(
        description="Drive simulated shelters against shelterd while "
        "killing and restarting it; check nothing acknowledged was lost.")
    for name, where in (("shelterd", "daemon"),
                        ("shelter-report", "clients"),
                        ("shelterctl", "tools"),
                        ("coord-watch", "clients")):
        ap.add_argument(f"--{name}", metavar="PATH",
                        default=build(f"{where}/{name}"),
                        help=f"the binary (default build/{where}/{name})")
    ap.add_argument("--shelters", type=int, default=20,
                    help="simulated shelters, at least 20 (default 20)")
    ap.add_argument("--kills", type=int, default=5,
                    help="at least this many kills, at least 5 (default 5)")
    ap.add_argument("--duration", type=float, default=10.0,
                    help="seconds of load (default 10); it runs on until "
                    "--kills are done")
    ap.add_argument("--seed", type=int, default=None,
                    help="random seed (default: a fresh one, printed)")
    ap.add_argument("--signal", choices=("KILL", "TERM"), default="KILL",
                    help="KILL (default) or TERM: with TERM every stop "
                    "must also exit 0")
    ap.add_argument("--registry", default=None,
                    help="registry dir (regions.csv, shelters.csv); "
                    "default: a small one written for the run")
    ap.add_argument("--timeout", type=int, default=2000,
                    help="shelter-report --timeout, ms (default 2000)")
    ap.add_argument("--strict", action="store_true",
                    help="also fail when a report went unanswered while "
                    "shelterd was up, or (TERM) when a stop applied a "
                    "report without acknowledging it")
    ap.add_argument("--keep", action="store_true",
                    help="keep the temp dir (it is always kept on failure)")
    args = ap.parse_args(argv)
    if args.shelters < 20:
        ap.error("--shelters must be at least 20")
    if args.kills < 5:
        ap.error("--kills must be at least 5")
    if args.duration <= 0:
        ap.error("--duration must be positive")
    for name in ("shelterd", "shelter_report", "shelterctl", "coord_watch"):
        path = getattr(args, name)
        if not os.access(path, os.X_OK):
            ap.error(f"--{name.replace('_', '-')}: {path} is not an "
                     f"executable (build first, or pass the path)")
        setattr(args, name, os.path.abspath(path))
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(1, 2**31)
    return args


def _on_sigterm(signum, frame):
    # Turn a SIGTERM (e.g. a test timeout) into an exception, so the
    # finally blocks stop every process this run started.
    raise KeyboardInterrupt(f"signal {signum}")


def run(args, tmp, problems):
    """The whole run; returns the summary line's counts."""
    rng = random.Random(args.seed)
    registry_dir = args.registry
    if registry_dir is None:
        registry_dir = os.path.join(tmp, "registry")
        Registry.write_default(registry_dir, args.shelters)
    registry = Registry(os.path.abspath(registry_dir), args.shelters, rng)

    daemon = Daemon(args.shelterd, tmp, registry.path, problems)
    tools = Tools(args, daemon.env)
    stop = threading.Event()
    shelters, killer = [], None
    give_up_at = time.monotonic() + args.duration + 60
    try:
        daemon.start(tools.ctl)
        load = Load()
        shelters = [Shelter(sid, beds, tools, load,
                            random.Random(f"{args.seed}/{sid}"), stop,
                            problems, args.timeout)
                    for sid, _, beds in registry.shelters]
        sig = signal.SIGKILL if args.signal == "KILL" else signal.SIGTERM
        killer = Killer(daemon, tools, sig, args.kills, args.duration,
                        random.Random(f"{args.seed}/killer"), problems,
                        give_up_at)
        for s in shelters:
            s.start()
        killer.start()
        killer.join()
        if killer.error is not None:
            raise killer.error
        # Load goes on for a moment on the last restart, then ends.
        time.sleep(0.3)
        stop.set()
        for s in shelters:
            s.join()

        # The final clean restart: what survives it is what is checked.
        daemon.stop()
        daemon.start(tools.ctl)
        verifier = Verifier(tools, shelters,
                            {sid: reg for sid, reg, _ in registry.shelters},
                            problems)
        verifier.run()
        daemon.stop()
    finally:
        stop.set()
        if killer is not None:
            killer.abort.set()
            killer.join(timeout=30)
        for s in shelters:
            s.join(timeout=30)
        daemon.cleanup()
        log_tail = daemon.log_tail()

    return {
        "sent": sum(len(s.sent) for s in shelters),
        "attempts": sum(s.attempts for s in shelters),
        "acked": sum(len(s.acked) for s in shelters),
        "unanswered": sum(len(s.unanswered) for s in shelters),
        # Unanswered although no kill came near: the reply was dropped.
        "unanswered_up": sum(1 for s in shelters for t0, t1 in s.unanswered
                             if daemon.was_up(t0, t1)),
        "duplicates": sum(s.duplicates for s in shelters),
        "hung": sum(s.hung for s in shelters),
        "escalations": verifier.escalations,
        "verified": verifier.verified,
        "shelters": len(shelters),
        "kills": killer.kills,
        "events": verifier.events,
        "contiguous": verifier.contiguous,
        "lost": verifier.lost,
        "applied_unacked": verifier.applied_unacked,
        "starts": daemon.starts,
        "max_start": daemon.max_start_secs,
        "log_tail": log_tail,
    }


def main(argv):
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)
    tmp = tempfile.mkdtemp(prefix="crashtest-")
    problems = Problems()
    keep = args.keep
    print(f"crashtest: seed {args.seed}, {args.shelters} shelters, "
          f"SIG{args.signal}, >= {args.kills} kills, {args.duration:g} s, "
          f"in {tmp}", flush=True)
    try:
        c = run(args, tmp, problems)
    except Fatal as e:
        print(f"crashtest: FAILED (seed {args.seed}): {e}")
        for p in problems.items[:40]:
            print(f"  {p}")
        _print_log(tmp)
        print(f"crashtest: kept {tmp}")
        return 1
    except (SetupError, OSError, subprocess.SubprocessError) as e:
        print(f"crashtest: cannot run: {e}", file=sys.stderr)
        _print_log(tmp)
        print(f"crashtest: kept {tmp}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("crashtest: interrupted", file=sys.stderr)
        shutil.rmtree(tmp, ignore_errors=True)
        return 2
    seq_word = "contiguous" if c["contiguous"] else "NOT contiguous"
    print(f"crashtest: sent {c['sent']}, acknowledged {c['acked']}, "
          f"verified {c['verified']}/{c['shelters']} shelters, "
          f"kills {c['kills']}, events {c['events']} {seq_word}, "
          f"lost {c['lost']}")
    print(f"crashtest: {c['attempts']} reports run, {c['unanswered']} "
          f"unanswered ({c['unanswered_up']} while shelterd was up), "
          f"{c['duplicates']} acked as already stored, "
          f"{c['applied_unacked']} shelters hold an applied but unacked "
          f"last report; {c['starts']} daemon starts, slowest "
          f"{c['max_start']:.2f} s")
    print("crashtest: events: " + ", ".join(
        f"{k} {n}" for k, n in sorted(c["escalations"].items())))
    # Neither is a loss (an unanswered report was not acked), so by
    # default they are only noted; --strict makes them fail the run.
    notes = []
    if c["hung"]:
        notes.append(f"{c['hung']} shelter-report run(s) still running "
                     f"long after their --timeout were killed")
    if c["unanswered_up"]:
        notes.append(f"{c['unanswered_up']} report(s) got no answer within "
                     f"--timeout although shelterd was up and not "
                     f"signalled: replies dropped?")
    if args.signal == "TERM" and (c["duplicates"] or c["applied_unacked"]):
        # No kill is abrupt here and SIGTERM promises to acknowledge what
        # it applied: so a report acked only later as "already stored",
        # or applied and never acked, had its ack dropped somewhere.
        notes.append(f"applied reports whose ack never arrived: "
                     f"{c['duplicates']} acked later as already stored, "
                     f"{c['applied_unacked']} shelters' last report "
                     f"applied and never acked")
    for n in notes:
        print(f"crashtest: {'FAIL' if args.strict else 'note'}: {n}")
    failed = bool(problems) or c["lost"] != 0 or (args.strict and
                                                   bool(notes))
    if failed:
        print(f"crashtest: FAILED (seed {args.seed}), "
              f"{len(problems.items)} problem(s) found:")
        for p in problems.items[:40]:
            print(f"  {p}")
        if len(problems.items) > 40:
            print(f"  ... and {len(problems.items) - 40} more")
        print("crashtest: shelterd log, last lines:")
        print(c["log_tail"], end="")
        keep = True
    if keep:
        print(f"crashtest: kept {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


def _print_log(tmp):
    path = os.path.join(tmp, "shelterd.log")
    if os.path.exists(path):
        with open(path, errors="replace") as f:
            tail = f.readlines()[-30:]
        print("crashtest: shelterd log, last lines:")
        print("".join(tail), end="")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Alarms a coordinator can trust: placement steps are events, not alerts;
an unplaced request has its own critical alert, published again until it is
acknowledged, and the acknowledgement lasts until the alert clears. Unknown
is not full: occupancy levels count known beds, and only where enough is
known; below that a coverage warning says how much is unknown."""
import json
import subprocess
import threading
import time

from harness import BIN, Daemon, check, check_eq, main

REGIONS = """code,name,province,seat,lat,lon,neighbours
VR09,Utrecht,UT,Utrecht,52.09,5.12,VR13
VR13,Amsterdam-Amstelland,NH,Amsterdam,52.37,4.90,VR09
"""
SHELTERS = """id,name,region,security_level,beds
SH-A,Shelter A,VR13,1,women:5
"""


def place(d, *args):
    return d.run("REGION_PLACE", *args)


def request(d, rid, *extra):
    r = place(d, "request", "-n", "-r", "VR09", "-c", "women", "-C",
              "VR09-2026-0000", "-i", rid, "--json", *extra)
    check(r.rc in (0, 1), f"request {rid}: {r}")
    return r.json()


def alerts(d):
    r = d.ctl("--json", "alerts")
    check_eq(r.rc, 0, f"alerts {r}")
    return r.json()


def test_placement_steps_are_events_not_alerts():
    d = Daemon(config="[daemon]\ntick_ms = 100\n"
               "[alerts]\nreescalate_secs = 1\n")
    d.with_registry(REGIONS, SHELTERS)
    try:
        d.start()
        check_eq(d.report("-s", "SH-A", "-b", "women=5/0").rc, 0, "SH-A")
        w = d.watch("--wait", "60")

        # The reproduction, as the issue wrote it.
        check_eq(request(d, "r0")["state"], "held", "r0 held")
        check_eq(place(d, "cancel", "r0").rc, 0, "cancel r0")
        check_eq(alerts(d), [], "a held and cancelled request is no alert")
        check_eq(request(d, "r1", "-s", "3")["state"], "unplaced",
                 "no level-3 shelter: r1 unplaced")
        check_eq(request(d, "r2")["state"], "held", "r2 held")

        a = alerts(d)
        check_eq(len(a), 1, f"one open alert: {a}")
        a = a[0]
        check_eq((a["kind"], a["scope"], a["level"], a["region"],
                  a["category"], a["request_id"], a["acknowledged_by"]),
                 ("placement", "placement", "critical", "VR09", "women",
                  "r1", None), "the unplaced request's own alert")
        table = d.ctl("alerts").out
        check("placement" in table and "r1" in table and
              "critical" in table, table)

        # Published again while nobody acknowledges it, r2 or not.
        time.sleep(2.5)
        again = alerts(d)[0]
        check(again["step"] >= 1, f"published again: {again}")
        check_eq(again["level"], "critical", "still critical")

        # Acknowledged: routine requests do not take the ack away, nor
        # the level; no further publication.
        r = d.run("COORD_WATCH", "ack", str(a["opened_seq"]), "--by",
                  "national-desk")
        check_eq(r.rc, 0, f"ack {r}")
        check_eq(place(d, "cancel", "r2").rc, 0, "cancel r2")
        check_eq(request(d, "r3")["state"], "held", "r3 held")
        check_eq(d.report("accept", "r3", "--shelter", "SH-A").rc, 0,
                 "accept r3")
        acked = alerts(d)
        check_eq([(x["request_id"], x["level"], x["acknowledged_by"])
                  for x in acked], [("r1", "critical", "national-desk")],
                 "the ack lasts, the level stays")
        step = acked[0]["step"]
        time.sleep(1.5)
        check_eq(alerts(d)[0]["step"], step, "no publication once acked")

        # Withdrawn: the alert closes.
        check_eq(place(d, "cancel", "r1").rc, 0, "cancel unplaced r1")
        check_eq(alerts(d), [], "closed with its request")

        events = w.stop()
        alarms = [(e["kind"], e["scope"], e["level"], e.get("request_id"))
                  for e in events if e["level"] != "info" and
                  e["kind"] != "acknowledged" and e["step"] == 0]
        check_eq(alarms, [("placement", "placement", "critical", "r1"),
                          ("placement", "placement", "cleared", "r1")],
                 "the only alarms: r1 raised, r1 closed")
        steps = [(e["request_id"], e["placement_state"]) for e in events
                 if e["kind"] == "placement" and e["level"] == "info"]
        check_eq(steps, [("r0", "requested"), ("r0", "held"),
                         ("r0", "cancelled"), ("r1", "requested"),
                         ("r1", "unplaced"), ("r2", "requested"),
                         ("r2", "held"), ("r2", "cancelled"),
                         ("r3", "requested"), ("r3", "held"),
                         ("r3", "accepted"),
                         ("r1", "cancelled")], "steps as progress")
        for e in events:
            check(e["kind"] != "placement" or e["level"] == "info" or
                  e.get("request_id") == "r1", f"only r1 alarms: {e}")
        d.stop()
    finally:
        d.cleanup()


COLD_REGIONS = """code,name,province,seat,lat,lon,neighbours
VR09,Utrecht,UT,Utrecht,52.09,5.12,
VR19,Zeeland,ZE,Middelburg,51.50,3.61,
"""
# VR19: 20 women's beds in five shelters; Z1 has a long deadline, the
# others the short default.
COLD_SHELTERS = """id,name,region,security_level,beds
U1,Shelter U1,VR09,1,women:5,3600
Z1,Shelter Z1,VR19,1,women:8,3600
Z2,Shelter Z2,VR19,1,women:4
Z3,Shelter Z3,VR19,1,women:4
Z4,Shelter Z4,VR19,1,women:2
Z5,Shelter Z5,VR19,1,women:2
"""


def open_alerts(d):
    return sorted((a["kind"], a["scope"], a["level"], a["region"] or "NL",
                   a["category"]) for a in alerts(d))


def test_cold_start_unknown_is_not_full():
    d = Daemon(config="[daemon]\ntick_ms = 100\n"
               "[reporting]\ndeadline_secs = 2\n")
    d.with_registry(COLD_REGIONS, COLD_SHELTERS)
    try:
        d.start()
        # Nothing reported yet: nothing is known anywhere.
        check_eq(open_alerts(d), [
            ("coverage", "national", "warning", "NL", "women"),
            ("coverage", "region", "warning", "VR09", "women"),
            ("coverage", "region", "warning", "VR19", "women")],
            "a fresh registry: coverage warnings only")
        w = d.watch("--wait", "60")
        # One shelter reports full: its region is known and full, the
        # country is not (5 of 25 beds known).
        check_eq(d.report("-s", "U1", "-b", "women=5/5").rc, 0, "U1")
        check_eq(open_alerts(d), [
            ("coverage", "national", "warning", "NL", "women"),
            ("coverage", "region", "warning", "VR19", "women"),
            ("occupancy", "region", "critical", "VR09", "women"),
            ("occupancy", "shelter", "warning", "VR09", "women")],
            "no national critical on one full shelter")
        nat = d.status()["national"]["women"]
        check_eq((nat["registered_capacity"], nat["known_capacity"],
                  nat["unknown_beds"], nat["never_reported"],
                  nat["stale_shelters"], nat["coverage"]),
                 (25, 5, 20, 5, 0, "warning"), "national known/unknown")

        # VR19 reports but for Z5: enough known, its warnings clear.
        # (Z1 last: U1 and Z1 alone, both full, would be half of the
        # country known and full, rightly critical.)
        for sid, beds in (("Z2", "women=4/1"), ("Z3", "women=4/1"),
                          ("Z4", "women=2/0"), ("Z1", "women=8/8")):
            check_eq(d.report("-s", sid, "-b", beds).rc, 0, sid)
        check_eq(open_alerts(d), [
            ("occupancy", "region", "critical", "VR09", "women"),
            ("occupancy", "shelter", "warning", "VR09", "women"),
            ("occupancy", "shelter", "warning", "VR19", "women")],
            "enough known: no coverage warning, VR19 not full (Z1 is)")
        check_eq(d.report("-s", "U1", "-b", "women=5/4").rc, 0, "U1 frees")
        check_eq(open_alerts(d), [
            ("occupancy", "shelter", "warning", "VR19", "women")],
            "a bed free in VR09: VR09 clear (Z1 stays full)")
        vr19 = d.region("VR19", "women")
        check_eq((vr19["known_capacity"], vr19["unknown_beds"],
                  vr19["never_reported"], vr19["level"]),
                 (18, 2, 1, "ok"), "VR19 known")

        # Z2..Z4 go stale; Z1 is full. Unknown is not full: no critical,
        # but a coverage warning that says how much is unknown.
        time.sleep(3)
        check_eq(open_alerts(d), [
            ("coverage", "region", "warning", "VR19", "women"),
            ("occupancy", "shelter", "warning", "VR19", "women")] +
            [("stale", "shelter", "warning", "VR19", None)] * 3,
            "stale shelters make VR19 unknown, not critical")
        vr19 = d.region("VR19", "women")
        check_eq((vr19["known_capacity"], vr19["unknown_beds"],
                  vr19["stale_shelters"], vr19["never_reported"],
                  vr19["level"]), (8, 12, 3, 1, "ok"), "VR19 stale")
        events = w.stop()
        cov = [e for e in events if e["kind"] == "coverage" and
               e["region"] == "VR19" and e["level"] == "warning"]
        check_eq([(e["capacity"], e["unknown_beds"], e["stale_shelters"],
                   e["never_reported"]) for e in cov], [(20, 12, 3, 1)],
                 "the coverage event")
        line = d.run("COORD_WATCH", "--since", str(cov[0]["event_seq"] - 1),
                     "--count", "1")
        check("VR19 women: 12 of 20 beds unknown; 3 shelters stale, "
              "1 never reported" in line.out, line)
        alarms = [(e["scope"], e["region"], e["level"]) for e in events
                  if e["kind"] == "occupancy" and e["scope"] != "shelter"]
        check_eq(alarms, [("region", "VR09", "critical"),
                          ("region", "VR09", "cleared")],
                 "no alarm on unknown: only VR09, known and full")
        d.stop()
    finally:
        d.cleanup()


class Follower:
    """coord-watch --json in the background, stdout and stderr read as
    they come, with the time each stderr line arrived."""

    def __init__(self, d, *args):
        self.proc = subprocess.Popen(
            [BIN["COORD_WATCH"], "--json", *args], env=d.env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.out, self.err = [], []
        self.threads = [
            threading.Thread(target=self._read, args=(
                self.proc.stdout, lambda l: self.out.append(json.loads(l)))),
            threading.Thread(target=self._read, args=(
                self.proc.stderr, lambda l: self.err.append(
                    (time.monotonic(), l.strip()))))]
        for t in self.threads:
            t.start()

    @staticmethod
    def _read(f, add):
        for line in f:
            if line.strip():
                add(line)

    def wait_err(self, words, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for at, line in self.err:
                if words in line:
                    return at, line
            time.sleep(0.05)
        raise AssertionError(f"no {words!r} on stderr in {timeout} s: "
                             f"{self.err}")

    def finish(self):
        self.proc.terminate()
        rc = self.proc.wait(timeout=10)
        for t in self.threads:
            t.join(timeout=10)
        return rc


LIVE = "[daemon]\ntick_ms = 100\n[events]\nheartbeat_secs = 1\n"


def test_silence_is_never_mistaken_for_calm():
    d = Daemon(config=LIVE)
    d.with_registry(COLD_REGIONS, COLD_SHELTERS)
    f = None
    try:
        d.start()
        check_eq(d.report("-s", "U1", "-b", "women=5/1").rc, 0, "U1")
        f = Follower(d)
        f.wait_err("watching", 10)
        time.sleep(1.5)  # a heartbeat or two: the feed is live
        check(not any("not live" in l for _, l in f.err), f.err)
        before = d.status()["last_event_seq"]

        stopped = time.monotonic()
        d.stop()
        at, line = f.wait_err("the feed is not live", 10)
        check(at - stopped <= 3 + 1.5, f"within 3 heartbeats: "
              f"{at - stopped:.1f} s: {line}")
        check(line.startswith("coord-watch: no heartbeat from shelterd "
                              "for "), line)

        # Back: events it could not hear live are printed once, in order.
        d2 = Daemon(config=LIVE, tmp=d.tmp)
        d2.registry = d.registry
        d = d2.start()
        for occ in (5, 2, 5):
            check_eq(d.report("-s", "U1", "-b", f"women=5/{occ}").rc, 0,
                     "report after the restart")
        after = d.status()["last_event_seq"]
        check(after > before, f"new events {before} -> {after}")
        f.wait_err("live again", 10)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and \
                (not f.out or f.out[-1]["event_seq"] < after):
            time.sleep(0.05)
        seqs = [e["event_seq"] for e in f.out]
        check_eq(seqs, list(range(before + 1, after + 1)),
                 "each missed event once, in order")
        check(all(e["kind"] != "heartbeat" for e in f.out),
              "heartbeats are not printed as events")
        check_eq(f.finish(), -15, "still watching until stopped")
        f = None

        # --fail-after: a script learns the feed is gone.
        w = subprocess.Popen([BIN["COORD_WATCH"], "--fail-after", "2"],
                             env=d.env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)
        d.stop()
        rc = w.wait(timeout=20)
        err = w.stderr.read()
        check_eq(rc, 3, f"--fail-after exits 3: {err}")
        check("the feed is not live" in err, err)
    finally:
        if f is not None:
            f.finish()
        d.cleanup()


DAY_REGIONS = """code,name,province,seat,lat,lon,neighbours
VR09,Utrecht,UT,Utrecht,52.09,5.12,VR13
VR13,Amsterdam-Amstelland,NH,Amsterdam,52.37,4.90,VR09
"""
DAY_SHELTERS = """id,name,region,security_level,beds
A1,Shelter A1,VR09,1,women:10
A2,Shelter A2,VR09,1,women:10
A3,Shelter A3,VR09,1,women:10
B1,Shelter B1,VR13,1,women:10
B2,Shelter B2,VR13,1,women:10
B3,Shelter B3,VR13,1,women:10
"""


def test_a_day_in_the_life():
    d = Daemon(config="[daemon]\ntick_ms = 100\n"
               "[alerts]\nreescalate_secs = 1\n")
    d.with_registry(DAY_REGIONS, DAY_SHELTERS)
    f = None
    try:
        d.start()
        f = Follower(d)
        f.wait_err("watching", 10)
        time.sleep(0.3)
        seen = [0]

        def new_events():
            """The events published since the last call, as words;
            re-publications apart (they follow the clock)."""
            last = d.status()["last_event_seq"]
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and \
                    (not f.out or f.out[-1]["event_seq"] < last):
                time.sleep(0.05)
            got = [e for e in f.out if seen[0] < e["event_seq"] <= last]
            seen[0] = last
            return [(e["kind"], e["scope"], e["level"],
                     e["request_id"] or e["shelter"] or e["region"] or
                     "NL") for e in got
                    if e["step"] == 0 or e["kind"] == "acknowledged"]

        def alerts_now():
            return sorted((a["kind"], a["scope"], a["level"],
                           a["request_id"] or a["shelter"] or a["region"]
                           or "NL", a["acknowledged_by"])
                          for a in alerts(d))

        def report(sid, occ):
            check_eq(d.report("-s", sid, "-b", f"women=10/{occ}").rc, 0,
                     f"report {sid}")

        coverage = [("coverage", "national", "warning", "NL", None),
                    ("coverage", "region", "warning", "VR09", None),
                    ("coverage", "region", "warning", "VR13", None)]
        # A fresh daemon: nothing is known.
        check_eq(alerts_now(), coverage, "fresh: coverage warnings")
        # A third of the shelters report: still too little known.
        report("A1", 2)
        report("B1", 2)
        check_eq(new_events(), [], "a third: no event")
        check_eq(alerts_now(), coverage, "a third: coverage, no occupancy")
        # All report.
        for sid in ("A2", "A3", "B2", "B3"):
            report(sid, 2)
        check_eq(new_events(), [
            ("coverage", "region", "cleared", "VR09"),
            ("coverage", "national", "cleared", "NL"),
            ("coverage", "region", "cleared", "VR13")], "all known")
        check_eq(alerts_now(), [], "all known: nothing open")
        # VR13 fills: warning, then critical.
        for sid in ("B1", "B2", "B3"):
            report(sid, 9)
        for sid in ("B1", "B2", "B3"):
            report(sid, 10)
        check_eq(new_events(), [
            ("occupancy", "region", "warning", "VR13"),
            ("occupancy", "shelter", "warning", "B1"),
            ("occupancy", "shelter", "warning", "B2"),
            ("occupancy", "shelter", "warning", "B3"),
            ("occupancy", "region", "critical", "VR13")], "VR13 fills")
        full = [("occupancy", "region", "critical", "VR13", None)] + [
            ("occupancy", "shelter", "warning", s, None)
            for s in ("B1", "B2", "B3")]
        check_eq(alerts_now(), sorted(full), "VR13 full")
        # An unplaceable request: its own critical alert, published again.
        check_eq(request(d, "u1", "-s", "3")["state"], "unplaced", "u1")
        check_eq(new_events(), [
            ("placement", "region", "info", "u1"),
            ("placement", "region", "info", "u1"),
            ("placement", "placement", "critical", "u1")], "unplaced")
        u1 = [a for a in alerts(d) if a["request_id"] == "u1"][0]
        time.sleep(1.6)
        check([e for e in f.out if e.get("alert_seq") == u1["opened_seq"]
               and e["step"] > 0], "published again")
        # The national coordinator takes it on.
        r = d.run("COORD_WATCH", "ack", str(u1["opened_seq"]), "--by",
                  "national-desk")
        check_eq(r.rc, 0, f"ack {r}")
        check_eq(new_events(), [
            ("acknowledged", "placement", "critical", "u1")], "acked")
        # Routine placements: progress, no alert; the ack stays.
        r = place(d, "request", "-n", "-r", "VR13", "-c", "women", "-C",
                  "VR13-2026-0001", "-i", "p1", "--json")
        check_eq((r.rc, r.json()["held_region"]), (0, "VR09"), f"p1 {r}")
        holder = [s for s in ("A1", "A2", "A3") if d.report(
            "holds", "--shelter", s, "--json").out.strip()][0]
        check_eq(d.report("accept", "p1", "--shelter", holder).rc, 0,
                 "accept p1")
        check_eq(new_events(), [("placement", "region", "info", "p1")] * 3,
                 "p1: requested, held, accepted")
        check_eq(alerts_now(), sorted(full + [
            ("placement", "placement", "critical", "u1", "national-desk")]),
            "the ack lasts; no info alert")
        # Beds free up: VR13 clears; u1 is settled otherwise: closed.
        for sid in ("B1", "B2", "B3"):
            report(sid, 2)
        check_eq(place(d, "cancel", "u1").rc, 0, "cancel u1")
        check_eq(new_events(), [
            ("occupancy", "shelter", "cleared", "B1"),
            ("occupancy", "region", "cleared", "VR13"),  # 73 %: < 85 %
            ("occupancy", "shelter", "cleared", "B2"),
            ("occupancy", "shelter", "cleared", "B3"),
            ("placement", "region", "info", "u1"),
            ("placement", "placement", "cleared", "u1")], "cleared")
        check_eq(alerts_now(), [], "the end of the day: nothing open")
        d.stop()
    finally:
        if f is not None:
            f.finish()
        d.cleanup()


if __name__ == "__main__":
    main([test_placement_steps_are_events_not_alerts,
          test_cold_start_unknown_is_not_full,
          test_silence_is_never_mistaken_for_calm,
          test_a_day_in_the_life])

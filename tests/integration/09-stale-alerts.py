"""Stale shelters, acknowledged and re-escalated alerts, SIGHUP reload, and
a watcher that catches up on what it missed."""
import os
import signal
import time

from harness import Daemon, TEST_REGISTRY, check, check_eq, main

FAST = "[daemon]\ntick_ms = 100\n"


def registry_with_deadlines(tmp):
    """The test registry, with S2 given its own long deadline."""
    d = os.path.join(tmp, "registry")
    os.makedirs(d)
    for name in ("regions.csv", "shelters.csv"):
        with open(os.path.join(TEST_REGISTRY, name)) as f:
            text = f.read()
        if name == "shelters.csv":
            text = text.replace("S2,Test Shelter Two,R1,2,women:10 minors:4",
                                "S2,Test Shelter Two,R1,2,"
                                "women:10 minors:4,3600")
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
    return d


def test_stale_shelter_beds_are_unknown_until_it_reports():
    # 3 s leaves room for a loaded CI machine between report and check.
    d = Daemon(config=FAST + "[reporting]\ndeadline_secs = 3\n")
    d.registry = registry_with_deadlines(d.tmp)
    try:
        d.start()
        check_eq(d.report("-s", "S3", "-b", "women=5/0").rc, 0, "S3")
        w = d.watch("--region", "R1", "--wait", "10")
        check_eq(d.report("-s", "S1", "-b", "women=10/4").rc, 0, "S1")
        check_eq(d.report("-s", "S2", "-b", "women=10/7",
                          "-b", "minors=4/0").rc, 0, "S2")
        t = d.region("R1", "women")
        check_eq((t["free"], t["unknown"]), (9, 0), "fresh")
        time.sleep(4.5)  # S1's deadline (3 s) passes; S2 has 3600 s
        sh = d.ctl("--json", "shelter", "S1").json()
        check_eq(sh["stale"], True, "S1 stale")
        check_eq(d.ctl("--json", "shelter", "S2").json()["stale"], False,
                 "S2 has its own deadline")
        t = d.region("R1", "women")
        check_eq((t["free"], t["unknown"]), (3, 6),
                 "stale beds are unknown, not free")
        check("S1 is stale" in d.read_log(), "log line")
        check_eq(d.report("-s", "S1", "-b", "women=10/4").rc, 0, "again")
        t = d.region("R1", "women")
        check_eq((t["free"], t["unknown"]), (9, 0), "known again")
        events = w.stop()
        stale = [(e["shelter"], e["level"]) for e in events
                 if e["kind"] == "stale"]
        # (S1 may go stale again after its report: its deadline is 3 s.)
        check_eq(stale[:2], [("S1", "warning"), ("S1", "cleared")],
                 "stale raised then cleared")
        d.stop()
    finally:
        d.cleanup()


def fill_r1(d):
    check_eq(d.report("-s", "S3", "-b", "women=5/0").rc, 0, "S3")
    check_eq(d.report("-s", "S1", "-b", "women=10/10").rc, 0, "S1")
    check_eq(d.report("-s", "S2", "-b", "women=10/10",
                      "-b", "minors=4/0").rc, 0, "S2")


def test_unacknowledged_critical_is_published_again_until_acked():
    d = Daemon(registry=TEST_REGISTRY,
               config=FAST + "[alerts]\nreescalate_secs = 1\n")
    try:
        d.start()
        w = d.watch("--region", "R1", "--wait", "30")
        fill_r1(d)
        time.sleep(3.2)  # two re-publications (1 s apart), with slack
        alerts = d.ctl("--json", "alerts").json()
        region = [a for a in alerts if a["scope"] == "region" and
                  a["kind"] == "occupancy"]
        check_eq(len(region), 1, f"one region alert: {alerts}")
        a = region[0]
        check_eq((a["level"], a["region"], a["category"]),
                 ("critical", "R1", "women"), "the alert")
        check(a["step"] >= 2, f"published again: {a}")
        check_eq(a["acknowledged_by"], None, "not acknowledged")
        check(a["age_secs"] >= 2, "age")
        table = d.ctl("alerts").out
        check(f"#{a['opened_seq']}" in table and "critical" in table, table)

        # Any publication acknowledges the alert, also one that is
        # neither its first nor its latest (it goes on being published).
        middle = [e for e in d.watch("--since", "0", "--wait", "2")
                  .stop(settle=0.5) if e.get("alert_seq") ==
                  a["opened_seq"] and e["step"] == 1]
        check_eq(len(middle), 1, "the first re-publication")
        r = d.run("COORD_WATCH", "ack", str(middle[0]["event_seq"]), "--by",
                  "national-desk")
        check_eq(r.rc, 0, f"ack {r}")
        check(f"alert #{a['opened_seq']} acknowledged by national-desk"
              in r.out, r.out)
        acked = [x for x in d.ctl("--json", "alerts").json()
                 if x["opened_seq"] == a["opened_seq"]][0]
        check_eq(acked["acknowledged_by"], "national-desk", "recorded")
        step_at_ack = acked["step"]
        time.sleep(1.6)
        after = [x for x in d.ctl("--json", "alerts").json()
                 if x["opened_seq"] == a["opened_seq"]][0]
        check_eq(after["step"], step_at_ack, "no re-publication once acked")

        r = d.ctl("ack", str(a["opened_seq"]), "--by", "other-desk")
        check_eq(r.rc, 1, f"second ack {r}")
        check("already acknowledged by national-desk" in r.err, r.err)
        r = d.ctl("ack", "99999", "--by", "x")
        check_eq(r.rc, 1, "unknown alert")
        check("no open alert" in r.err, r.err)
        check_eq(d.ctl("ack", "1").rc, 2, "--by is required")

        check_eq(d.report("-s", "S1", "-b", "women=10/2").rc, 0, "free")
        left = [x for x in d.ctl("--json", "alerts").json()
                if x["scope"] == "region" and x["kind"] == "occupancy"]
        check_eq(left, [], "cleared alert is no longer open")
        events = w.stop()
        again = [e["step"] for e in events if e["scope"] == "region" and
                 e["kind"] == "occupancy" and e["level"] == "critical"]
        check_eq(again[:3], [0, 1, 2], f"steps in order: {again}")
        ack = [e for e in events if e["kind"] == "acknowledged"]
        check_eq([(e["acknowledged_by"], e["alert_seq"]) for e in ack],
                 [("national-desk", a["opened_seq"])], "ack event")
        d.stop()
    finally:
        d.cleanup()


def test_sighup_reloads_thresholds_without_dropping_connections():
    d = Daemon(registry=TEST_REGISTRY, config=FAST)
    try:
        d.start()
        check_eq(d.report("-s", "S1", "-b", "women=10/6").rc, 0, "S1")
        check_eq(d.report("-s", "S2", "-b", "women=10/6",
                          "-b", "minors=4/0").rc, 0, "S2")
        check_eq(d.region("R1", "women")["level"], "ok", "60 % is ok")
        w = d.watch("--region", "R1", "--count", "1", "--wait", "10")
        conf = os.path.join(d.tmp, "shelterd.conf")
        with open(conf, "w") as f:
            f.write(FAST + "[escalation]\nregion_warning_pct = 50\n"
                    "hysteresis_pct = 5\n")
        d.proc.send_signal(signal.SIGHUP)
        rc, events = w.finish()
        check_eq(rc, 0, "an event after SIGHUP")
        check_eq((events[0]["level"], events[0]["category"]),
                 ("warning", "women"), "warning at the new threshold")
        check_eq(d.region("R1", "women")["level"], "warning", "status")
        check("configuration reloaded" in d.read_log(), "log")
        # A broken file is refused and the daemon keeps its settings.
        with open(conf, "w") as f:
            f.write("[escalation]\nregion_warning_pct = banana\n")
        d.proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        check(d.alive(), "alive after a bad reload")
        check("not reloaded" in d.read_log(), "bad reload logged")
        check_eq(d.region("R1", "women")["level"], "warning", "kept")
        d.stop()
    finally:
        d.cleanup()


def test_restarted_watcher_prints_each_missed_event_once_in_order():
    d = Daemon(registry=TEST_REGISTRY)
    try:
        d.start()
        state = os.path.join(d.tmp, "watch.state")
        check_eq(d.report("-s", "S3", "-b", "women=5/0").rc, 0, "S3")
        first = d.watch("--state", state, "--count", "2", "--wait", "10")
        check_eq(d.report("-s", "S4", "-b", "men=6/6",
                          "-b", "highsec=2/0").rc, 0, "S4 men full")
        rc, seen = first.finish()
        check_eq(rc, 0, "first watcher saw 2")
        # The watcher is gone; escalations go on.
        check_eq(d.report("-s", "S4", "-b", "men=6/0",
                          "-b", "highsec=2/2").rc, 0, "S4 toggled")
        check_eq(d.report("-s", "S1", "-b", "women=10/10").rc, 0, "S1")
        log = d.watch("--since", "0").stop(settle=0.5)
        missed = [e for e in log if e["event_seq"] > seen[-1]["event_seq"]]
        check(len(missed) >= 3, f"events were missed: {missed}")
        again = d.watch("--state", state).stop(settle=0.8)
        check_eq(again, missed, "each missed event once, in order")
        with open(state) as f:
            check_eq(int(f.read()), log[-1]["event_seq"], "state file")
        d.stop()
    finally:
        d.cleanup()


if __name__ == "__main__":
    main([test_stale_shelter_beds_are_unknown_until_it_reports,
          test_unacknowledged_critical_is_published_again_until_acked,
          test_sighup_reloads_thresholds_without_dropping_connections,
          test_restarted_watcher_prints_each_missed_event_once_in_order])

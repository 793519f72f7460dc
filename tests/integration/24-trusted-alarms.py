"""Alarms a coordinator can trust: placement steps are events, not alerts;
an unplaced request has its own critical alert, published again until it is
acknowledged, and the acknowledgement lasts until the alert clears."""
import time

from harness import Daemon, check, check_eq, main

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


if __name__ == "__main__":
    main([test_placement_steps_are_events_not_alerts])

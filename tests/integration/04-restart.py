"""After a stop and a restart on the same data dir, everything is as it
was: the national table, each shelter, and the event log."""
import random

from harness import Daemon, Failure, check, check_eq, main


def test_restart_keeps_everything():
    d = Daemon().start()
    try:
        regions = d.ctl("--json", "regions").json()
        check_eq(len(regions), 25, "regions")
        rng = random.Random(7)
        # Fill Zeeland completely (critical), report a few elsewhere.
        ids = ["SH-ZEE-%03d" % n for n in range(1, 13)]
        reported = []
        for sid in ids + ["SH-UT-003", "SH-AMS-001", "SH-GRO-002"]:
            nominal = _nominal(sid)
            if nominal is None:
                continue  # Zeeland has fewer than 12 shelters
            beds = []
            for cat, n in nominal.items():
                occ = n if sid.startswith("SH-ZEE") else rng.randint(0, n)
                beds += ["-b", f"{cat}={n}/{occ}"]
            r = d.report("-s", sid, *beds)
            check_eq(r.rc, 0, f"report {sid} {r}")
            reported.append(sid)
        check(len(reported) >= 10, "reported shelters")
        before = d.status()
        zee = [x for x in before["regions"] if x["region"] == "VR19"][0]
        check(any(c["level"] == "critical" for c in
                  zee["categories"].values()), "Zeeland is critical")
        shelters = {s: d.ctl("--json", "shelter", s).json()
                    for s in reported}
        log = d.watch("--since", "0", "--wait", "2")
        events_before = log.finish()[1]  # all of the log, not what 0.5 s shows
        check(len(events_before) > 0, "events were logged")
        d.stop()

        d2 = Daemon(tmp=d.tmp).start()
        d = d2
        check_eq(d.status(), before, "status after restart")
        for s, info in shelters.items():
            check_eq(d.ctl("--json", "shelter", s).json(), info,
                     f"shelter {s} after restart")
        log = d.watch("--since", "0", "--wait", "2")
        events_after = log.finish()[1]
        check_eq(events_after, events_before, "event log after restart")
        # New events continue the sequence.
        w = d.watch("--count", "1", "--wait", "8")
        sid = "SH-ZEE-001"
        beds = []
        for cat, n in _nominal(sid).items():
            beds += ["-b", f"{cat}={n}/0"]
        check_eq(d.report("-s", sid, *beds).rc, 0, "free Zeeland")
        rc, new = w.finish()
        check_eq(rc, 0, "an event after restart")
        check_eq(new[0]["event_seq"], events_before[-1]["event_seq"] + 1,
                 "event_seq continues")
        d.stop()
    finally:
        d.cleanup()


def test_a_second_daemon_on_the_same_store_is_refused():
    """Two daemons writing one LMDB store would overwrite each other's
    aggregates and event counter: the second one is refused at start."""
    d = Daemon().start()
    d2 = Daemon()
    d2.data = d.data
    try:
        try:
            d2.start()
        except Failure as e:
            want = f"is in use by another shelterd (pid {d.proc.pid} holds"
            check(want in str(e), f"{want!r} not in {e}")
        else:
            raise Failure("a second daemon started on the same store")
        check(d.alive(), "the first one keeps running")
        check_eq(d.ctl("regions").rc, 0, "and answering")
        d.stop()
        # Its lock goes with it: the next daemon starts.
        d2.start()
        d2.stop()
    finally:
        d.cleanup()
        d2.cleanup()


def _nominal(sid):
    """The categories of a shelter, with the capacity the demo registry
    plans (read from the registry file shipped with the project)."""
    import csv
    import os
    from harness import TESTS_DIR
    path = os.path.join(TESTS_DIR, "..", "..", "registry", "demo",
                        "shelters.csv")
    for row in csv.DictReader(open(path)):
        if row["id"] == sid:
            return {c.split(":")[0]: int(c.split(":")[1])
                    for c in row["beds"].split()}
    return None


if __name__ == "__main__":
    main([test_restart_keeps_everything,
          test_a_second_daemon_on_the_same_store_is_refused])

"""The daemon on loopback TCP, as the embedded defaults run it (on free
ports here, so tests never collide), with the clients over TCP."""
import os

from harness import Daemon, free_ports, check, check_eq, main



def test_tcp_loopback_end_to_end():
    d = Daemon()
    api_port, events_port = free_ports(2)
    d.api = f"tcp://127.0.0.1:{api_port}"
    d.events = f"tcp://127.0.0.1:{events_port}"
    d.env.update(SHELTERD_API=d.api, SHELTERD_EVENTS=d.events)
    try:
        d.start()
        w = d.watch("--region", "VR24", "--count", "1", "--wait", "8")
        # Zuid-Limburg: fill every shelter the demo registry puts there.
        import csv
        from harness import TESTS_DIR
        path = os.path.join(TESTS_DIR, "..", "..", "registry", "demo",
                            "shelters.csv")
        for row in csv.DictReader(open(path)):
            if row["region"] != "VR24":
                continue
            beds = []
            for b in row["beds"].split():
                cat, n = b.split(":")
                beds += ["-b", f"{cat}={n}/{n}"]
            r = d.report("--shelter", row["id"], *beds)
            check_eq(r.rc, 0, f"report {row['id']} {r}")
        rc, events = w.finish()
        check_eq(rc, 0, "an escalation reached the watcher over tcp")
        check_eq(events[0]["region"], "VR24", "region")
        check("listening on tcp://127.0.0.1" in d.read_log(), "log")
        check("beyond loopback" not in d.read_log(), "no plain-text warn")
        d.stop()
    finally:
        d.cleanup()


if __name__ == "__main__":
    main([test_tcp_loopback_end_to_end])

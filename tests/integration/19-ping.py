"""shelterctl ping: the daemon says it is up and how busy it is; a stopped
daemon is reported as down, with a non-zero exit."""
from harness import TEST_REGISTRY, Daemon, check, check_eq, main


def test_ping_up_busy_and_down():
    d = Daemon(registry=TEST_REGISTRY)
    try:
        d.start()
        r = d.ctl("--json", "ping")
        check_eq(r.rc, 0, f"ping {r}")
        p = r.json()
        check_eq(p["last_commit_age_ms"], None, "no commit since start")
        check_eq(p["queued"], 0, "nothing queued")
        check(p["answer_ms"] >= 0 and p["version"], f"pong {p}")
        check_eq(d.report("-s", "S1", "-b", "women=10/10").rc, 0, "report")
        p = d.ctl("--json", "ping").json()
        check(p["last_commit_age_ms"] is not None
              and 0 <= p["last_commit_age_ms"] < 10000, f"committed {p}")
        last = d.ctl("--json", "status").json()["last_event_seq"]
        check(last > 0, "the full shelter escalated")
        check_eq(p["last_event_seq"], last, "last event_seq as status")
        r = d.ctl("ping")
        check(r.rc == 0 and "up, answered in" in r.out, f"text {r}")
        d.stop()
        r = d.ctl("--timeout", "500", "ping")
        check(r.rc != 0, "a stopped daemon is not up")
        check("down or unreachable" in r.err, r.err)
    finally:
        d.cleanup()


if __name__ == "__main__":
    main([test_ping_up_busy_and_down])

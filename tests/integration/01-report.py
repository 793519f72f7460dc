"""A shelter reports; the daemon acks after storing; status shows it."""
import time

from harness import Daemon, check, check_eq, main


def with_daemon(fn):
    def run():
        d = Daemon().start()
        try:
            fn(d)
            d.stop()
        finally:
            d.cleanup()
    run.__name__ = fn.__name__
    return run


@with_daemon
def test_report_is_acked_and_shown(d):
    r = d.report("--shelter", "SH-UT-003", "--beds", "women=4/3")
    check_eq(r.rc, 0, f"report {r}")
    check("SH-UT-003 seq" in r.out and "stored" in r.out, r.out)
    t = d.region("VR09", "women")
    check_eq((t["capacity"], t["occupied"], t["free"]), (4, 3, 1),
             "VR09 women")
    check_eq(d.status()["national"]["women"]["free"], 1, "national free")
    sh = d.ctl("--json", "shelter", "SH-UT-003").json()
    check_eq(sh["beds"]["women"], {"capacity": 4, "occupied": 3,
                                   "out_of_service": 0, "held": 0,
                                   "free": 1, "reserve_open": 0,
                                   "level": "ok"},
             "shelter beds")
    check_eq(sh["status"], "open", "shelter status")
    # The table names the region and its numbers.
    table = d.ctl("status").out
    check(any(l.startswith("VR09") and " women " in l and " 75%" in l
              for l in table.splitlines()), table)


@with_daemon
def test_every_category_and_out_of_service(d):
    r = d.report("-s", "SH-UT-001", "-b", "women=16/10/2", "-b", "men=7/7",
                 "-b", "minors=6/0")
    check_eq(r.rc, 0, f"report {r}")
    t = d.region("VR09", "women")
    check_eq((t["capacity"], t["occupied"], t["out_of_service"], t["free"]),
             (16, 10, 2, 4), "women with out of service")
    check_eq(d.region("VR09", "men")["free"], 0, "men full")


@with_daemon
def test_paused_and_closed_beds_are_not_free(d):
    check_eq(d.report("-s", "SH-UT-004", "-b", "women=15/5",
                      "--status", "paused").rc, 0, "paused report")
    t = d.region("VR09", "women")
    check_eq((t["capacity"], t["occupied"], t["free"]), (15, 5, 0),
             "paused: capacity counted, nothing free")
    check_eq(d.report("-s", "SH-UT-004", "-b", "women=15/5").rc, 0, "open")
    check_eq(d.region("VR09", "women")["free"], 10, "open again: free")
    check_eq(d.report("-s", "SH-UT-004", "-b", "women=15/0",
                      "--status", "closed").rc, 0, "closed report")
    check_eq(d.region("VR09", "women")["free"], 0, "closed: nothing free")


@with_daemon
def test_repeated_seq_is_acked_and_applied_once(d):
    args = ["-s", "SH-UT-009", "-b", "women=4/1", "--seq", "100"]
    check_eq(d.report(*args).rc, 0, "first")
    before = d.status()
    r = d.report(*args)
    check_eq(r.rc, 0, f"repeat is acknowledged again {r}")
    check("already stored" in r.out, r.out)
    check_eq(d.status(), before, "status after a repeated seq")
    check_eq(d.ctl("--json", "shelter", "SH-UT-009").json()["last_seq"],
             100, "last seq")


@with_daemon
def test_older_seq_is_refused(d):
    check_eq(d.report("-s", "SH-UT-009", "-b", "women=4/1",
                      "--seq", "100").rc, 0, "first")
    r = d.report("-s", "SH-UT-009", "-b", "women=4/4", "--seq", "99")
    check_eq(r.rc, 1, f"older seq {r}")
    check("STALE_SEQ" in r.err and "100" in r.err, r.err)
    check_eq(d.region("VR09", "women")["occupied"], 1, "not applied")


@with_daemon
def test_same_seq_other_counts_is_refused(d):
    check_eq(d.report("-s", "SH-UT-009", "-b", "women=4/1",
                      "--seq", "7").rc, 0, "first")
    r = d.report("-s", "SH-UT-009", "-b", "women=4/3", "--seq", "7")
    check_eq(r.rc, 1, f"conflicting seq {r}")
    check("SEQ_CONFLICT" in r.err, r.err)
    check_eq(d.region("VR09", "women")["occupied"], 1, "not applied")


@with_daemon
def test_over_occupancy_is_accepted_and_flagged(d):
    r = d.report("-s", "SH-UT-003", "-b", "women=4/5")
    check_eq(r.rc, 0, f"over-occupied report {r}")
    check("over-occupied" in r.err, f"warning on stderr: {r.err!r}")
    t = d.region("VR09", "women")
    check_eq((t["occupied"], t["free"]), (5, 0), "not clipped")
    check("over-occupied" in d.read_log(), "logged")


def test_client_errors():
    d = Daemon()  # never started: nobody listens
    try:
        r = d.report("-s", "SH-UT-003", "-b", "women=4/3", "--no-outbox")
        check_eq(r.rc, 3, f"no daemon {r}")
        check("cannot reach shelterd" in r.err, r.err)
        r = d.report("-s", "SH-UT-003", "-b", "women=4/3")
        check_eq(r.rc, 4, f"no daemon: queued in the outbox {r}")
        check_eq(d.ctl("status").rc, 3, "shelterctl without daemon")
        r = d.report("-s", "SH-UT-003", "-b", "women=4")
        check_eq(r.rc, 2, f"bad --beds {r}")
        r = d.report("-s", "SH-UT-003", "-b", "wolves=4/3")
        check_eq(r.rc, 2, f"unknown category name {r}")
        check("women, men, minors" in r.err, r.err)
        check_eq(d.report("-b", "women=4/3").rc, 2, "no --shelter")
        check_eq(d.ctl("frobnicate").rc, 2, "unknown command")
        for tool in ("SHELTER_REPORT", "COORD_WATCH", "SHELTERCTL",
                     "SHELTERD"):
            r = d.run(tool, "--help")
            check_eq(r.rc, 0, f"{tool} --help")
            check("Usage:" in r.out, f"{tool} --help text")
        check(d.run("SHELTERD", "--version").out.startswith("shelterd "),
              "--version")
        check_eq(d.run("SHELTERD", "--bogus").rc, 2, "unknown flag")
    finally:
        d.cleanup()


@with_daemon
def test_unknown_shelter_via_shelterctl(d):
    r = d.ctl("shelter", "SH-NOPE-001")
    check_eq(r.rc, 1, f"unknown shelter {r}")
    check("no shelter" in r.err, r.err)
    r = d.ctl("--json", "regions")
    regions = r.json()
    check_eq(len(regions), 25, "25 safety regions")
    utrecht = [x for x in regions if x["region"] == "VR09"][0]
    check("VR07" in utrecht["neighbours"], "neighbours")
    check(sum(x["shelters"] for x in regions) >= 200, "200+ shelters")


def test_batch_from_a_gateway():
    """One request, many shelters: each update is judged on its own."""
    from harness import raw_request, encode
    now = int(time.time())

    def upd(sid, seq, cat, cap, occ):
        return ('updates { shelter_id: "%s" seq: %d observed_at: %d '
                'status: SHELTER_STATUS_OPEN beds { category: %s '
                'capacity: %d occupied: %d } }' % (sid, seq, now, cat, cap,
                                                    occ))
    d = Daemon().start()
    try:
        body = " ".join([
            upd("SH-UT-003", 10, "CATEGORY_ADULT_WOMEN", 4, 2),
            upd("SH-NOPE-1", 10, "CATEGORY_ADULT_WOMEN", 4, 2),
            upd("SH-UT-009", 10, "CATEGORY_ADULT_WOMEN", 4, 6),
            upd("SH-UT-003", 9, "CATEGORY_ADULT_WOMEN", 4, 4),
            upd("SH-UT-003", 10, "CATEGORY_ADULT_WOMEN", 4, 2),
        ])
        reply = raw_request(d, encode("batch { %s }" % body))
        codes = [l.split(":")[1].strip() for l in reply.splitlines()
                 if l.strip().startswith("code:")]
        check_eq(codes, ["CODE_UNKNOWN_SHELTER", "CODE_STALE_SEQ"],
                 f"non-OK results (OK is the default, not printed):\n{reply}")
        check_eq(reply.count("results {"), 5, f"one result each:\n{reply}")
        check("duplicate: true" in reply, "the repeat is a duplicate")
        check("over-occupied" in reply, "the over-occupancy is flagged")
        t = d.region("VR09", "women")
        check_eq((t["capacity"], t["occupied"]), (8, 8), "both applied")
        empty = raw_request(d, encode("batch { }"))
        check("a batch holds 1 to 1000 updates" in empty, empty)
        d.stop()
    finally:
        d.cleanup()


if __name__ == "__main__":
    main([test_report_is_acked_and_shown,
          test_every_category_and_out_of_service,
          test_paused_and_closed_beds_are_not_free,
          test_repeated_seq_is_acked_and_applied_once,
          test_older_seq_is_refused,
          test_same_seq_other_counts_is_refused,
          test_over_occupancy_is_accepted_and_flagged,
          test_client_errors,
          test_unknown_shelter_via_shelterctl,
          test_batch_from_a_gateway])

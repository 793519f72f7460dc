"""Every bad input gets a clear error reply and a log line; the daemon keeps
serving; nothing already stored changes. Raw requests are built with protoc
and sent with nngcat, tools that share no code with shelterd."""
import time

from harness import (Daemon, TEST_REGISTRY, check, check_eq, encode, main,
                     raw_request)

NOW = int(time.time())


def update(body):
    return encode("update { %s }" % body)


def good_state(d):
    check_eq(d.report("-s", "S1", "-b", "women=10/4", "--seq", "50").rc, 0,
             "baseline report")
    return d.status(), d.ctl("--json", "shelter", "S1").json()


def expect(reply, code, words, d, log_words=None):
    check(f"code: {code}" in reply, f"want {code}, got:\n{reply}")
    check(words in reply, f"want {words!r} in the error:\n{reply}")
    check((log_words or words) in d.read_log(),
          f"log line with {(log_words or words)!r}")


CASES = [
    # (name, payload, code, words in the error)
    ("not protobuf", b"\xff\xfegarbage\x00\x01", "CODE_BAD_REQUEST",
     "not a shelterd.v1.Request"),
    ("empty request", b"", "CODE_BAD_REQUEST", "empty request"),
    ("unknown shelter",
     update('shelter_id: "S9" seq: 1 observed_at: %d '
            'status: SHELTER_STATUS_OPEN beds { category: '
            'CATEGORY_ADULT_WOMEN capacity: 1 }' % NOW),
     "CODE_UNKNOWN_SHELTER", "unknown shelter 'S9'"),
    ("unknown category number",
     update('shelter_id: "S1" seq: 60 observed_at: %d '
            'status: SHELTER_STATUS_OPEN beds { category: 9 capacity: 1 }'
            % NOW), "CODE_UNKNOWN_CATEGORY", "unknown category 9"),
    ("category the shelter does not have",
     update('shelter_id: "S1" seq: 60 observed_at: %d '
            'status: SHELTER_STATUS_OPEN beds { category: CATEGORY_MINORS '
            'capacity: 1 }' % NOW), "CODE_UNKNOWN_CATEGORY",
     "has no 'minors' beds"),
    ("repeated category",
     update('shelter_id: "S1" seq: 60 observed_at: %d '
            'status: SHELTER_STATUS_OPEN '
            'beds { category: CATEGORY_ADULT_WOMEN capacity: 10 } '
            'beds { category: CATEGORY_ADULT_WOMEN capacity: 10 }' % NOW),
     "CODE_BAD_REQUEST", "'women' appears twice"),
    ("out of service above capacity",
     update('shelter_id: "S1" seq: 60 observed_at: %d '
            'status: SHELTER_STATUS_OPEN beds { category: '
            'CATEGORY_ADULT_WOMEN capacity: 4 out_of_service: 5 }' % NOW),
     "CODE_BAD_REQUEST", "5 beds out of service but only 4"),
    ("implausible count",
     update('shelter_id: "S1" seq: 60 observed_at: %d '
            'status: SHELTER_STATUS_OPEN beds { category: '
            'CATEGORY_ADULT_WOMEN capacity: 4000000000 }' % NOW),
     "CODE_BAD_REQUEST", "not plausible"),
    ("no status",
     update('shelter_id: "S1" seq: 60 observed_at: %d beds { category: '
            'CATEGORY_ADULT_WOMEN capacity: 4 }' % NOW),
     "CODE_BAD_REQUEST", "status must be"),
    ("seq zero",
     update('shelter_id: "S1" observed_at: %d status: SHELTER_STATUS_OPEN '
            'beds { category: CATEGORY_ADULT_WOMEN capacity: 4 }' % NOW),
     "CODE_BAD_REQUEST", "seq must be at least 1"),
    ("observed in the future",
     update('shelter_id: "S1" seq: 60 observed_at: %d '
            'status: SHELTER_STATUS_OPEN beds { category: '
            'CATEGORY_ADULT_WOMEN capacity: 4 }' % (NOW + 86400)),
     "CODE_BAD_REQUEST", "observed_at"),
    ("no beds",
     update('shelter_id: "S1" seq: 60 observed_at: %d '
            'status: SHELTER_STATUS_OPEN' % NOW),
     "CODE_BAD_REQUEST", "no bed counts"),
    ("older seq",
     update('shelter_id: "S1" seq: 49 observed_at: %d '
            'status: SHELTER_STATUS_OPEN beds { category: '
            'CATEGORY_ADULT_WOMEN capacity: 10 occupied: 9 }' % NOW),
     "CODE_STALE_SEQ", "older than the last applied seq 50"),
    ("oversized", update('shelter_id: "%s" seq: 60' % ("S" * 3000)),
     "CODE_TOO_LARGE", "larger than the limit of 2048"),
]


def test_each_bad_input_is_refused_and_nothing_changes():
    d = Daemon(registry=TEST_REGISTRY,
               config="[daemon]\nmax_message_bytes = 2048\n").start()
    try:
        status, shelter = good_state(d)
        for name, payload, code, words in CASES:
            try:
                expect(raw_request(d, payload), code, words, d)
            except Exception as e:
                raise type(e)(f"{name}: {e}")
            check(d.alive(), f"daemon alive after {name}")
        check_eq(d.status(), status, "status after all bad input")
        check_eq(d.ctl("--json", "shelter", "S1").json(), shelter,
                 "stored shelter after all bad input")
        # And it still takes a good report.
        check_eq(d.report("-s", "S1", "-b", "women=10/5").rc, 0, "good")
        d.stop()
    finally:
        d.cleanup()


def test_repeated_category_through_the_client():
    d = Daemon(registry=TEST_REGISTRY).start()
    try:
        r = d.report("-s", "S1", "-b", "women=10/1", "-b", "women=10/2")
        check_eq(r.rc, 1, f"refused {r}")
        check("BAD_REQUEST" in r.err and "twice" in r.err, r.err)
        r = d.report("-s", "S2", "-b", "women=10/1")
        check_eq(r.rc, 1, f"missing category {r}")
        check("'minors' is missing" in r.err, r.err)
        d.stop()
    finally:
        d.cleanup()


def test_seq_far_ahead_is_refused_and_does_not_block_the_shelter():
    # The largest seq, once stored, would make every later report of S1
    # STALE_SEQ for good: it is refused, and S1 goes on reporting.
    d = Daemon(registry=TEST_REGISTRY).start()
    try:
        reply = raw_request(d, update(
            'shelter_id: "S1" seq: 18446744073709551615 observed_at: %d '
            'status: SHELTER_STATUS_OPEN beds { category: '
            'CATEGORY_ADULT_WOMEN capacity: 10 occupied: 9 }' % NOW))
        expect(reply, "CODE_BAD_REQUEST", "max_seq_ahead_secs", d)
        check("ahead of the daemon's clock" in reply, reply)
        # Just over a day ahead: refused too; just under: accepted.
        r = d.report("-s", "S1", "-b", "women=10/8",
                     "--seq", str((NOW + 86400 + 5) * 1000000))
        check_eq(r.rc, 1, f"a day and 5 s ahead {r}")
        check("max_seq_ahead_secs" in r.err, r.err)
        seq = int(time.time() * 1000000)
        r = d.report("-s", "S1", "-b", "women=10/7", "--seq", str(seq))
        check_eq(r.rc, 0, f"the shelter's next report {r}")
        check_eq(d.ctl("--json", "shelter", "S1").json()["last_seq"], seq,
                 "S1 stored the good one")
        d.stop()
    finally:
        d.cleanup()


def test_bad_config_and_registry_are_refused_at_start():
    import os
    import subprocess
    from harness import BIN
    d = Daemon(registry=TEST_REGISTRY)
    try:
        conf = os.path.join(d.tmp, "bad.conf")
        with open(conf, "w") as f:
            f.write("[escalation]\nregion_warning_pct = 95\n"
                    "region_critical_pct = 90\n")
        p = subprocess.run([BIN["SHELTERD"], "-c", conf, "-d", d.data],
                           capture_output=True, text=True, timeout=20)
        check_eq(p.returncode, 2, f"bad thresholds {p.stderr}")
        check("region_critical_pct" in p.stderr, p.stderr)
        with open(conf, "w") as f:
            f.write("[daemon]\nno_such_key = 1\n")
        p = subprocess.run([BIN["SHELTERD"], "-c", conf, "-d", d.data],
                           capture_output=True, text=True, timeout=20)
        check_eq(p.returncode, 2, "unknown key")
        check("line 2" in p.stderr and "no_such_key" in p.stderr, p.stderr)
        reg = os.path.join(d.tmp, "reg")
        os.makedirs(reg)
        with open(os.path.join(reg, "regions.csv"), "w") as f:
            f.write("code,name,province,seat,lat,lon,neighbours\n"
                    "R1,One,P,S,1,2,\n")
        with open(os.path.join(reg, "shelters.csv"), "w") as f:
            f.write("id,name,region,security_level,beds\n"
                    "S1,One,R1,0,women:4\nS2,Two,R7,0,women:4\n")
        p = subprocess.run([BIN["SHELTERD"], "-r", reg, "-d", d.data,
                            "--api", d.api, "--events", d.events],
                           capture_output=True, text=True, timeout=20)
        check_eq(p.returncode, 1, "bad registry")
        check("line 3" in p.stderr and "unknown region 'R7'" in p.stderr,
              p.stderr)
    finally:
        d.cleanup()


if __name__ == "__main__":
    main([test_each_bad_input_is_refused_and_nothing_changes,
          test_repeated_category_through_the_client,
          test_seq_far_ahead_is_refused_and_does_not_block_the_shelter,
          test_bad_config_and_registry_are_refused_at_start])

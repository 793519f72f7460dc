"""A full map met by a placement request, an answer, a cancel and an alert
acknowledgement: each is refused as STORE_FULL with the store's reason
(never as another code of the same number), the daemon keeps running and
nothing of them is stored.

A second process holds an LMDB read txn open while the map fills, so no
freed page can be reused: once full, every write fails, however small."""
import re
import time

from harness import (Daemon, PinnedReader, check, check_eq, encode, main,
                     raw_request)

REGIONS = """code,name,province,seat,lat,lon,neighbours
R1,Region One,P,S1,52.0,5.0,R2
R2,Region Two,P,S2,52.1,5.1,R1 R3
R3,Region Three,P,S3,52.2,5.2,R2
"""
SHELTERS = """id,name,region,security_level,beds
A1,Shelter A1,R1,1,women:2
B1,Shelter B1,R2,1,women:4
Z1,Shelter Z1,R3,1,men:10
"""


def req(d, text):
    return raw_request(d, encode(text))


def place(request_id, n):
    return ('place { request_id: "%s" case_ref: "R1-2026-%04d" '
            'from_region: "R1" category: CATEGORY_ADULT_WOMEN beds: 1 }'
            % (request_id, n))


def state_of(d, request_id):
    r = req(d, 'placement { request_id: "%s" }' % request_id)
    m = re.search(r"state: (PLACEMENT_STATE_\w+)", r)
    check(m is not None, f"placement {request_id}: {r}")
    return m.group(1)


def toggling_batch(first_seq, n):
    """Z1 full and empty in turn: every update logs events."""
    now = int(time.time())
    parts = []
    for i in range(n):
        parts.append('updates { shelter_id: "Z1" seq: %d observed_at: %d '
                     'status: SHELTER_STATUS_OPEN beds { category: '
                     'CATEGORY_ADULT_MEN capacity: 10 occupied: %d } }'
                     % (first_seq + i, now, 10 if i % 2 == 0 else 0))
    return encode("batch { %s }" % " ".join(parts))


def check_full(what, reply):
    check("code: CODE_STORE_FULL" in reply, f"{what}: {reply[:300]}")
    check("store is full" in reply and "map_size_mb" in reply,
          f"{what} says why: {reply[:300]}")


def test_every_write_verb_meets_a_full_map():
    d = Daemon(config="[daemon]\nmap_size_mb = 1\n")
    pin = None
    try:
        d.with_registry(REGIONS, SHELTERS).start()
        for sid, beds in (("A1", "women=2/2"), ("B1", "women=4/0"),
                          ("Z1", "men=10/0")):
            check_eq(d.report("-s", sid, "-b", beds).rc, 0, f"report {sid}")
        for i, rid in enumerate(("p1", "p2")):
            check("PLACEMENT_STATE_HELD" in req(d, place(rid, i + 1)),
                  f"{rid} held")
        alerts = req(d, "alerts {}")
        m = re.search(r"opened_seq: (\d+)[^}]*region_id: \"R1\"", alerts,
                      re.S)
        check(m is not None, f"an open alert in R1: {alerts}")
        alert_seq = int(m.group(1))

        pin = PinnedReader(d.data)
        # Above the seqs shelter-report took (microseconds of its clock).
        seq, full = int(time.time() * 1e6) + 10**9, False
        for _ in range(60):
            if "CODE_STORE_FULL" in raw_request(d, toggling_batch(seq, 200)):
                full = True
                break
            seq += 200
        check(full, "the 1 MiB map filled up")
        # The premise: with the reader pinned, no write fits any more.
        check_full("a single report", req(
            d, 'update { shelter_id: "B1" seq: %d observed_at: %d '
            'status: SHELTER_STATUS_OPEN beds { category: '
            'CATEGORY_ADULT_WOMEN capacity: 4 occupied: 1 } }'
            % (seq + 10**6, int(time.time()))))

        check_full("place", req(d, place("p3", 3)))
        check_full("answer", req(d, 'answer { request_id: "p1" '
                                    'shelter_id: "B1" accept: true }'))
        check_full("cancel", req(d, 'cancel { request_id: "p2" }'))
        check_full("ack_alert", req(d, 'ack_alert { event_seq: %d '
                                       'by: "desk 1" }' % alert_seq))

        check(d.alive(), "daemon alive")
        log = d.read_log()
        for verb in ("place", "answer", "cancel", "ack_alert"):
            check(f"{verb} not stored: store is full" in log,
                  f"log line for {verb}")
        # Nothing of them was stored; reads are still served.
        check_eq(state_of(d, "p1"), "PLACEMENT_STATE_HELD", "p1 still held")
        check_eq(state_of(d, "p2"), "PLACEMENT_STATE_HELD", "p2 still held")
        check("NOT_FOUND" in req(d, 'placement { request_id: "p3" }'),
              "p3 not stored")
        check("acknowledged_by" not in req(d, "alerts {}"),
              "alert not acknowledged")

        pin.close()
        # Once the reader is gone, freed pages serve again: the same
        # answer goes through.
        check("PLACEMENT_STATE_ACCEPTED" in req(
            d, 'answer { request_id: "p1" shelter_id: "B1" accept: true }'),
            "accepted once pages are free")
        d.stop()
    finally:
        if pin is not None:
            pin.close()
        d.cleanup()


if __name__ == "__main__":
    main([test_every_write_verb_meets_a_full_map])

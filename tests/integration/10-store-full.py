"""A full LMDB map: every writer gets a clear error, the daemon stays up,
reads are still served, and what was stored is intact."""
import time

from harness import Daemon, TEST_REGISTRY, check, check_eq, encode, main
from harness import PinnedReader, raw_request


def toggling_batch(first_seq, n):
    """n updates of S1 that fill and free it in turn: each one moves the
    shelter, region and national levels, so every update logs events."""
    now = int(time.time())
    parts = []
    for i in range(n):
        occ = 10 if i % 2 == 0 else 0
        parts.append('updates { shelter_id: "S1" seq: %d observed_at: %d '
                     'status: SHELTER_STATUS_OPEN beds { category: '
                     'CATEGORY_ADULT_WOMEN capacity: 10 occupied: %d } }'
                     % (first_seq + i, now, occ))
    return encode("batch { %s }" % " ".join(parts))


def test_full_map_refuses_writes_and_keeps_serving():
    d = Daemon(registry=TEST_REGISTRY, config="[daemon]\nmap_size_mb = 1\n")
    try:
        d.start()
        check_eq(d.report("-s", "S4", "-b", "men=6/2", "-b",
                          "highsec=2/1").rc, 0, "S4 before")
        s4 = d.ctl("--json", "shelter", "S4").json()
        seq, full = 1, None
        for _ in range(40):  # ~4 events per update: 1 MiB goes fast
            reply = raw_request(d, toggling_batch(seq, 500))
            seq += 500
            if "CODE_STORE_FULL" in reply:
                full = reply
                break
        check(full is not None, "the 1 MiB map filled up")
        check("store is full" in full, full[:400])
        # Only the updates that could not be stored failed: every other
        # one of that batch was committed before it was acked.
        results = full.split("results {")[1:]
        check_eq(len(results), 500, "one result per update")
        ok = [i for i, r in enumerate(results) if "code:" not in r]
        check(all("CODE_STORE_FULL" in r for i, r in enumerate(results)
                  if i not in ok), "the others: STORE_FULL")
        if ok:
            check_eq(d.ctl("--json", "shelter", "S1").json()["last_seq"],
                     seq - 500 + ok[-1], "the last acked update is stored")
        check("store is full" in d.read_log(), "log line")
        check(d.alive(), "daemon alive")
        # A single report now also gets the clear error, once it needs
        # room: LMDB reuses the pages each commit frees, so a report that
        # only overwrites (or appends into a leaf with room) still fits.
        # S4 filling and freeing R3's men in turn logs events each time,
        # so the log grows until it cannot; each report acked before that
        # must be stored.
        # A pinned reader keeps the freed pages from being reused, so the
        # log surely runs out of room within these reports.
        pin = PinnedReader(d.data)
        for i in range(300):
            occ = 6 if i % 2 == 0 else 0
            r = d.report("-s", "S4", "-b", f"men=6/{occ}", "-b",
                         "highsec=2/1")
            if r.rc != 0:
                break
            got = d.ctl("--json", "shelter", "S4").json()
            check_eq(got["beds"]["men"]["occupied"], occ,
                     f"acked report {i} is stored")
            s4 = got
        pin.close()
        # Not stored, but not lost: the shelter's outbox keeps it.
        check_eq(r.rc, 4, f"a report into the full store is queued {r}")
        check("STORE_FULL" in r.err and "map_size_mb" in r.err and
              "1 report waits" in r.err, r.err)
        # ...reads are served, and what was stored before is intact.
        st = d.status()
        check_eq(st["regions"][2]["categories"]["men"]["capacity"], 6,
                 "R3 men still there")
        check_eq(d.ctl("--json", "shelter", "S4").json(), s4,
                 "S4 unchanged by the refused report")
        check_eq(d.ctl("--json", "alerts").rc, 0, "alerts readable")
        log = d.watch("--since", "0").stop(settle=1.0)
        seqs = [e["event_seq"] for e in log]
        check_eq(seqs, list(range(1, len(seqs) + 1)), "event log intact")
        d.stop()
        # After a restart with a bigger map, writes work again.
        d.config = "[daemon]\nmap_size_mb = 64\n"
        d.start()
        r = d.report("-s", "S4", "-b", "men=6/5", "-b", "highsec=2/1")
        check_eq(r.rc, 0, f"bigger map: accepted {r}")
        check_eq(len([l for l in r.out.splitlines() if "stored" in l]), 2,
                 f"the queued report first, then the new one: {r.out}")
        check_eq(d.ctl("--json", "shelter", "S4").json()["beds"]["men"]
                 ["occupied"], 5, "the new report stands")
        d.stop()
    finally:
        d.cleanup()


if __name__ == "__main__":
    main([test_full_map_refuses_writes_and_keeps_serving])

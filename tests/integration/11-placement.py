"""Supra-regional placements on the real daemon, driven by region-place
and shelter-report."""
import json
import subprocess
import threading
import time

from harness import BIN, Daemon, check, check_eq, encode, main, raw_request

REGIONS = """code,name,province,seat,lat,lon,neighbours
R1,Region One,P,S1,52.0,5.0,R2
R2,Region Two,P,S2,52.1,5.1,R1 R3
R3,Region Three,P,S3,52.2,5.2,R2
R4,Region Four,P,S4,52.3,5.3,
"""
SHELTERS = """id,name,region,security_level,beds
A1,Shelter A1,R1,1,women:4
B1,Shelter B1,R2,1,women:4
B2,Shelter B2,R2,0,women:6
C1,Shelter C1,R3,3,women:10
D1,Shelter D1,R4,2,women:10
M1,Shelter M1,R3,1,minors:1
"""


def daemon(config=""):
    d = Daemon(config="[daemon]\ntick_ms = 100\n" + config)
    d.with_registry(REGIONS, SHELTERS).start()
    for sid, beds in (("A1", "women=4/0"), ("B1", "women=4/0"),
                      ("B2", "women=6/0"), ("C1", "women=10/0"),
                      ("D1", "women=10/0"), ("M1", "minors=1/0")):
        check_eq(d.report("-s", sid, "-b", beds).rc, 0, f"report {sid}")
    return d


def place(d, *args):
    return d.run("REGION_PLACE", *args)


def status(d, rid):
    r = place(d, "status", rid, "--json")
    check_eq(r.rc, 0, f"status {rid} {r}")
    return r.json()


def beds(d, sid, cat="women"):
    sh = d.ctl("--json", "shelter", sid).json()
    return sh["beds"][cat]


def held(d, region, cat="women"):
    return d.region(region, cat)["held"]


def run(fn):
    def test():
        d = None
        try:
            d = fn()
        finally:
            if d is not None:
                d.cleanup()
    test.__name__ = fn.__name__
    return test


@run
def test_held_in_the_best_shelter_then_accepted():
    d = daemon()
    w = d.watch("--wait", "20")
    r = place(d, "request", "-r", "R1", "-c", "women", "-C",
              "VR09-2026-0042", "-i", "req1", "--no-wait", "--json")
    check_eq(r.rc, 0, f"request {r}")
    p = r.json()
    # Neighbour R2 first; there, the most free beds: B2 (6) over B1 (4).
    check_eq((p["state"], p["held_region"]), ("held", "R2"), "held in R2")
    check_eq(p["shelter"], None, "the region is not told which shelter")
    check_eq(held(d, "R2"), 1, "the held bed is not free")
    check_eq(d.region("R2", "women")["free"], 9, "free")
    h = d.report("holds", "--shelter", "B2", "--json")
    check_eq(h.rc, 0, f"holds {h}")
    holds = [json.loads(l) for l in h.out.splitlines()]
    check_eq([x["request_id"] for x in holds], ["req1"], "B2 sees its hold")
    check_eq(holds[0]["case_ref"], "VR09-2026-0042", "case_ref")
    r = d.report("accept", "req1", "--shelter", "B2")
    check_eq(r.rc, 0, f"accept {r}")
    p = status(d, "req1")
    check_eq((p["state"], p["shelter"]), ("accepted", "B2"),
             "disclosed on acceptance")
    check_eq(beds(d, "B2"), {"capacity": 6, "occupied": 1,
                             "out_of_service": 0, "held": 0, "free": 5,
                             "reserve_open": 0, "level": "ok"},
             "occupancy follows")
    check_eq((held(d, "R2"), d.region("R2", "women")["free"]), (0, 9),
             "hold gone, bed occupied")
    events = w.stop()
    steps = [e["placement_state"] for e in events
             if e["kind"] == "placement"]
    check_eq(steps, ["requested", "held", "accepted"], "events")
    for e in events:
        check("B2" not in json.dumps(e), f"the bus never names B2: {e}")
    listing = d.ctl("--json", "placements").json()
    check_eq([(x["request_id"], x["state"]) for x in listing],
             [("req1", "accepted")], "shelterctl placements")
    d.stop()
    return d


@run
def test_decline_moves_to_the_next_candidate():
    d = daemon()
    check_eq(place(d, "request", "-r", "R1", "-c", "women", "-C",
                   "R1-2026-0007", "-i", "req2", "--no-wait").rc, 0, "req")
    r = d.report("decline", "req2", "--shelter", "B1", "--reason", "no-bed")
    check_eq(r.rc, 1, f"B1 does not hold it {r}")
    check("not held by shelter B1" in r.err, r.err)
    r = d.report("decline", "req2", "--shelter", "B2")
    check_eq(r.rc, 2, f"a decline needs a reason {r}")
    r = d.report("decline", "req2", "--shelter", "B2", "--reason",
                 "no-match")
    check_eq(r.rc, 0, f"decline {r}")
    p = status(d, "req2")
    check_eq((p["state"], p["held_region"], p["candidates_tried"]),
             ("held", "R2", 1), "next candidate, same region")
    check_eq(beds(d, "B2")["occupied"], 0, "B2 unchanged")
    check_eq(held(d, "R2"), 1, "one bed held, not two")
    check("req2" in d.report("holds", "--shelter", "B1").out, "B1 holds")
    d.stop()
    return d


def moved_on(d, rid):
    """Wait for the hold of rid to leave B2 (next housekeeping tick)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        p = status(d, rid)
        if p["candidates_tried"] >= 1:
            return p
        time.sleep(0.1)
    check(False, f"the hold of {rid} did not move on: {status(d, rid)}")


@run
def test_accept_without_room_is_refused_and_moves_on():
    # The reproduction: B2 reported itself full while a bed was held for
    # the case, then accepted: 7 of 6.
    d = daemon()
    w = d.watch("--level", "info", "--wait", "20")
    check_eq(place(d, "request", "-r", "R1", "-c", "women", "-C",
                   "R1-2026-0011", "-i", "req11", "--no-wait").rc, 0, "req")
    check_eq(d.report("-s", "B2", "-b", "women=6/6").rc, 0, "B2 full")
    r = d.report("accept", "req11", "--shelter", "B2")
    check_eq(r.rc, 1, f"accept refused {r}")
    check("CONFLICT" in r.err and "no room" in r.err and
          "women 6 of 6 taken" in r.err and "moves on" in r.err, r.err)
    p = moved_on(d, "req11")
    check_eq((p["state"], p["held_region"]), ("held", "R2"),
             "held in B1 now, as after a decline")
    check_eq(beds(d, "B2")["occupied"], 6, "B2 not over capacity")
    check_eq(held(d, "R2"), 1, "one bed held, in B1")
    check("req11" in d.report("holds", "--shelter", "B1").out, "B1 holds")
    check("req11" not in d.report("holds", "--shelter", "B2").out,
          "B2 no longer holds it")
    r = d.report("accept", "req11", "--shelter", "B1")
    check_eq(r.rc, 0, f"B1 accepts {r}")
    steps = [e["placement_state"] for e in w.stop()
             if e["kind"] == "placement"]
    check_eq(steps[:5], ["requested", "held", "declined", "held",
                         "accepted"], "steps")
    d.stop()
    return d


@run
def test_closed_shelter_cannot_accept():
    d = daemon()
    check_eq(place(d, "request", "-r", "R1", "-c", "women", "-C",
                   "R1-2026-0012", "-i", "req12", "--no-wait").rc, 0, "req")
    check_eq(d.report("-s", "B2", "-b", "women=6/0", "--status",
                      "closed").rc, 0, "B2 closes")
    r = d.report("accept", "req12", "--shelter", "B2")
    check_eq(r.rc, 1, f"accept refused {r}")
    check("CONFLICT" in r.err and "closed" in r.err, r.err)
    p = moved_on(d, "req12")
    check_eq((p["state"], p["held_region"]), ("held", "R2"), "B1 now")
    check_eq(beds(d, "B2")["occupied"], 0, "nobody placed in B2")
    d.stop()


def ld(num, data):
    """A length-delimited protobuf field, built by hand: the proto no longer
    has a field that could carry this text."""
    def varint(n):
        out = b""
        while True:
            out += bytes([(n & 0x7F) | (0x80 if n > 0x7F else 0)])
            n >>= 7
            if not n:
                return out
    return varint(num << 3 | 2) + varint(len(data)) + data


NAME = "Maria Jansen born 17-05-1990 is already here"


@run
def test_a_decline_reason_cannot_carry_a_name():
    """Issue's reproduction: a free-text reason with a name and a date of
    birth reached the requesting region and the report. Now the client
    refuses it, the wire has no field for it (the old field 4 is refused as
    a decline without a reason) and what the region sees is a key."""
    d = daemon()
    check_eq(place(d, "request", "-r", "R1", "-c", "women", "-C",
                   "R1-2026-0011", "-i", "req9", "--no-wait").rc, 0, "req")
    r = d.report("decline", "req9", "--shelter", "B2", "--reason", NAME)
    check_eq(r.rc, 2, f"free text refused by the client {r}")
    check("no-bed, safety-conflict" in r.err, r.err)
    old = ld(10, ld(1, b"req9") + ld(2, b"B2") + ld(4, NAME.encode()))
    reply = raw_request(d, old)
    check("CODE_BAD_REQUEST" in reply and "reason from the list" in reply,
          f"the old free-text field does not decline: {reply}")
    check_eq(status(d, "req9")["state"], "held", "still held by B2")
    r = d.report("decline", "req9", "--shelter", "B2", "--reason",
                 "safety-conflict")
    check_eq(r.rc, 0, f"decline {r}")
    p = status(d, "req9")
    check_eq(p["last_reason"], "safety-conflict", f"the region sees {p}")
    listing = d.ctl("--json", "placements").out
    d.stop()
    for what, text in (("log", d.read_log()), ("placements", listing)):
        check("Maria" not in text and "1990" not in text,
              f"no name in the {what}")
    r = subprocess.run(["mdb_dump", "-a", "-p", d.data], capture_output=True,
                       text=True, timeout=20)
    check_eq(r.returncode, 0, f"mdb_dump {r.stderr}")
    check("Maria" not in r.stdout, "no name in the store")
    return d


@run
def test_expired_hold_returns_the_bed_and_moves_on():
    d = daemon("[placement]\nhold_ttl_secs = 1\n")
    w = d.watch("--level", "info", "--wait", "20")
    check_eq(place(d, "request", "-r", "R1", "-c", "women", "-C",
                   "R1-2026-0008", "-i", "req3", "--no-wait").rc, 0, "req")
    check_eq(held(d, "R2"), 1, "held")
    time.sleep(2.6)
    p = status(d, "req3")
    check(p["candidates_tried"] >= 1, f"moved on: {p}")
    steps = [e["placement_state"] for e in w.stop()]
    check_eq(steps[:4], ["requested", "held", "expired", "held"], "steps")
    check_eq(d.region("R1", "women")["held"], 0, "never in own region")
    d.stop()
    return d


@run
def test_no_candidate_is_unplaced_and_critical():
    d = daemon()
    w = d.watch("--level", "critical", "--count", "1", "--wait", "10")
    r = place(d, "request", "-r", "R2", "-c", "women", "-C", "R2-2026-0009",
              "-s", "3", "-x", "R4", "-i", "req4", "--no-wait", "--json")
    check_eq((r.rc, r.json()["held_region"]), (0, "R3"), f"C1 {r}")
    r = d.report("decline", "req4", "--shelter", "C1", "--reason", "no-bed")
    check_eq(r.rc, 0, f"decline {r}")
    p = status(d, "req4")
    check_eq(p["state"], "unplaced", "no level-3 shelter left")
    rc, events = w.finish()
    check_eq(rc, 0, "critical event")
    check_eq((events[0]["region"], events[0]["category"],
              events[0]["request_id"]), ("R2", "women", "req4"), "event")
    d.stop()
    return d


@run
def test_racing_for_the_last_bed_books_it_once():
    d = daemon()
    results = []

    def one(i):
        region = "R1" if i % 2 else "R2"
        r = place(d, "request", "-r", region, "-c", "minors", "-C",
                  f"{region}-2026-{i:04d}", "-i", f"race{i}", "--no-wait",
                  "--json")
        results.append(r)
    threads = [threading.Thread(target=one, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    answered = [r for r in results if r.rc in (0, 1) and r.out]
    check_eq(len(answered), 12, f"all answered: {results}")
    states = sorted(r.json()["state"] for r in answered)
    check_eq(states.count("held"), 1, f"exactly one hold: {states}")
    check_eq(states.count("unplaced"), 11, "the rest unplaced")
    m1 = d.ctl("--json", "status").json()["national"]["minors"]
    check_eq((m1["capacity"], m1["held"], m1["free"]), (1, 1, 0),
             "totals add up")
    d.stop()
    return d


@run
def test_bad_placement_input():
    d = daemon()
    cases = [
        (("-r", "R9", "-c", "women", "-C", "R9-2026-0001"),
         "unknown region 'R9'"),
        (("-r", "R1", "-c", "women", "-C", "R1-2026-0001", "-b", "0"),
         "beds must be 1 to 20"),
        (("-r", "R1", "-c", "women", "-C", "R1-2026-0001", "-b", "500"),
         "beds must be 1 to 20"),
        (("-r", "R1", "-c", "women", "-C", "Maria Jansen"), "has a space"),
        (("-r", "R1", "-c", "women", "-C", "R1-17-05-1990"), "date"),
        (("-r", "R1", "-c", "women", "-C", "JANSEN-123"), "name"),
        # The short names and loose dates.
        (("-r", "R1", "-c", "women", "-C", "Eva-Bos-123"), "name"),
        (("-r", "R1", "-c", "women", "-C", "Ann-Li-0042"), "name"),
        (("-r", "R1", "-c", "women", "-C", "VR09-1990-5-17"), "date"),
        (("-r", "R1", "-c", "women", "-C", "VR09-17-5-1990"), "date"),
        (("-r", "R1", "-c", "women", "-C", "Bo-17-05-90"), "date"),
        (("-r", "R1", "-c", "women", "-C", "R1-2026-0001", "-x", "R8"),
         "unknown excluded region"),
        (("-r", "R1", "-c", "women", "-C", "R1-2026-0001", "-s", "7"),
         "security_level"),
    ]
    for args, words in cases:
        r = place(d, "request", *args, "--no-wait")
        check_eq(r.rc, 1, f"{args}: {r}")
        check(words in r.err, f"{args}: want {words!r} in {r.err!r}")
        check(words.split("'")[0] in d.read_log() or "refused" in
              d.read_log(), "logged")
    for word in ("Maria", "1990", "Eva", "Ann-Li", "17-05-90"):
        check(word not in d.read_log(),
              f"a refused case_ref is never written to the log: {word}")
    reply = raw_request(d, encode(
        'place { request_id: "x1" case_ref: "R1-2026-0001" '
        'from_region: "R1" category: 9 beds: 1 }'))
    check("CODE_UNKNOWN_CATEGORY" in reply, reply)
    r = d.report("accept", "nope", "--shelter", "B2")
    check_eq(r.rc, 1, f"unknown request {r}")
    check_eq(d.ctl("--json", "placements").json(), [], "nothing stored")
    check(d.alive(), "alive")
    d.stop()
    return d


@run
def test_holds_wait_for_the_next_hold():
    d = daemon()
    p = subprocess.Popen([BIN["SHELTER_REPORT"], "holds", "--shelter", "C1",
                          "--wait", "8", "--json"], env=d.env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    time.sleep(0.5)
    start = time.monotonic()
    check_eq(place(d, "request", "-r", "R2", "-c", "women", "-C",
                   "R2-2026-0011", "-s", "3", "-i", "req7",
                   "--no-wait").rc, 0, "request for C1")
    out, err = p.communicate(timeout=15)
    check_eq(p.returncode, 0, f"holds --wait {err}")
    check(time.monotonic() - start < 5, "answered on the hold, not timeout")
    check_eq([json.loads(l)["request_id"] for l in out.splitlines()],
             ["req7"], "the new hold")
    d.stop()
    return d


@run
def test_holds_follow_prints_each_new_hold():
    d = daemon()
    check_eq(place(d, "request", "-r", "R2", "-c", "women", "-C",
                   "R2-2026-0021", "-s", "3", "-i", "f1", "--no-wait").rc,
             0, "a hold on C1 before following")
    p = subprocess.Popen([BIN["SHELTER_REPORT"], "holds", "--shelter", "C1",
                          "--follow", "--json"], env=d.env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    got = []
    reader = threading.Thread(target=lambda: got.extend(
        json.loads(l)["request_id"] for l in p.stdout if l.strip()))
    reader.start()
    time.sleep(1.0)
    check_eq(got, ["f1"], "the hold there is")
    # It waits for the next one over the api: not a request a moment.
    batches = d.read_log().count("batch: ")
    time.sleep(1.0)
    check(d.read_log().count("batch: ") - batches <= 2,
          "a long poll, not a busy one")
    # A new hold while one is there: printed when made, not at a timeout.
    start = time.monotonic()
    check_eq(place(d, "request", "-r", "R1", "-c", "women", "-C",
                   "R1-2026-0022", "-s", "3", "-i", "f2", "--no-wait").rc,
             0, "a second hold on C1")
    while len(got) < 2 and time.monotonic() - start < 10:
        time.sleep(0.05)
    check(time.monotonic() - start < 5, f"f2 at once: {got}")
    time.sleep(0.5)
    p.terminate()
    p.wait(timeout=10)
    reader.join(timeout=10)
    check_eq(got, ["f1", "f2"], "each hold once, in order")
    d.stop()
    return d


@run
def test_ranking_follows_an_imported_registry():
    """Ranking reads an index of free beds by registry position: an import
    that adds a shelter in front, removes one and moves another must be
    ranked from the new registry (and the store), not the old index."""
    d = daemon()
    # B2 (R2, the best for R1 before) goes, B1 moves to R4 (no road from
    # R1), AA1 comes first in id order and never reported.
    new = SHELTERS.replace("B2,Shelter B2,R2,0,women:6\n", "") \
        .replace("B1,Shelter B1,R2", "B1,Shelter B1,R4") \
        .replace("A1,Shelter A1,R1,1,women:4\n",
                 "A1,Shelter A1,R1,1,women:4\nAA1,Shelter AA1,R2,1,"
                 "women:9\n")
    path = d.tmp + "/new.csv"
    with open(path, "w") as f:
        f.write(new)
    r = d.ctl("import", path)
    check_eq(r.rc, 0, f"import {r}")
    r = place(d, "request", "-r", "R1", "-c", "women", "-C",
              "VR09-2026-0043", "-i", "imp1", "--no-wait", "--json")
    check_eq(r.rc, 0, f"request {r}")
    # R2 has no reported shelter left: C1 in R3, two hops away.
    check_eq((r.json()["state"], r.json()["held_region"]), ("held", "R3"),
             "held in R3")
    check_eq(d.report("accept", "imp1", "--shelter", "C1").rc, 0,
             "C1 holds it")
    # AA1 reports: the neighbour with the most free beds from now on.
    check_eq(d.report("-s", "AA1", "-b", "women=9/0").rc, 0, "AA1 reports")
    r = place(d, "request", "-r", "R1", "-c", "women", "-C",
              "VR09-2026-0044", "-i", "imp2", "--no-wait", "--json")
    check_eq(r.json()["held_region"], "R2", f"held in R2 {r}")
    check_eq(d.report("accept", "imp2", "--shelter", "AA1").rc, 0,
             "AA1 holds it")
    d.stop()
    return d


if __name__ == "__main__":
    main([test_held_in_the_best_shelter_then_accepted,
          test_decline_moves_to_the_next_candidate,
          test_accept_without_room_is_refused_and_moves_on,
          test_closed_shelter_cannot_accept,
          test_a_decline_reason_cannot_carry_a_name,
          test_expired_hold_returns_the_bed_and_moves_on,
          test_no_candidate_is_unplaced_and_critical,
          test_racing_for_the_last_bed_books_it_once,
          test_bad_placement_input,
          test_holds_wait_for_the_next_hold,
          test_holds_follow_prints_each_new_hold,
          test_ranking_follows_an_imported_registry])

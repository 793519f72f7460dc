"""History, monthly reports, retention and the outflow early warning, on the
real daemon (docs/history.md).

Samples are stamped with the daemon's clock, so the report's occupancy
figures here are checked where a real-time scenario makes them exact (a
region that changes once, a peak, a critical day); core/report.c is checked
number by number against a fixture month in tests/unit/test_report.c.

Retention is checked on the store itself with mdb_dump (lmdb-utils, a tool
that shares no code with shelterd), while other reports keep coming in.
"""
import csv
import io
import json
import os
import re
import shutil
import struct
import subprocess
import threading
import time

import urllib.error
import urllib.request

from harness import (Daemon, Failure, TEST_REGISTRY, check, check_eq,
                     free_ports, main)

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
CASE_REFS = ["R1-2026-0101", "R1-2026-0102", "R1-2026-0103",
             "R1-2026-0104", "R1-2026-0105"]


# Every daemon a test starts, so that a failing test stops it too.
_started = []


def daemon(config=""):
    d = Daemon(config="[daemon]\ntick_ms = 100\n" + config)
    _started.append(d)
    return d.with_registry(REGIONS, SHELTERS).start()


def report(d, sid, beds, *more):
    r = d.report("-s", sid, "-b", beds, *more)
    check_eq(r.rc, 0, f"report {sid} {beds} {r}")


def place(d, *args):
    return d.run("REGION_PLACE", *args)


def month():
    return time.strftime("%Y-%m", time.gmtime())


def run(fn):
    def test():
        try:
            fn()
        finally:
            while _started:
                _started.pop().cleanup()
    test.__name__ = fn.__name__
    return test


# ---- the store, read with mdb_dump ----------------------------------------

def dump(d, db):
    """[(key, value)] of one LMDB database of the daemon, read live."""
    tool = shutil.which("mdb_dump")
    if tool is None:
        raise Failure("mdb_dump not found: install lmdb-utils (tools/deps)")
    p = subprocess.run([tool, "-s", db, d.data], capture_output=True,
                       text=True, timeout=20)
    check_eq(p.returncode, 0, f"mdb_dump -s {db}: {p.stderr}")
    lines = p.stdout.splitlines()
    i = lines.index("HEADER=END") + 1
    pairs = []
    while lines[i] != "DATA=END":
        pairs.append((bytes.fromhex(lines[i].strip()),
                      bytes.fromhex(lines[i + 1].strip())))
        i += 2
    return pairs


def samples(d):
    """Samples as (shelter, category, time, n, checkpoint): a checkpoint
    ("" and category 0 for its marker) repeats the states of the day."""
    out = []
    for k, v in dump(d, "samples"):
        check_eq((len(k), len(v)), (12, 68), "sample key and value size")
        out.append((v[:32].rstrip(b"\0").decode(), v[60],
                    int.from_bytes(k[:8], "big"),
                    int.from_bytes(k[8:12], "big"), v[65]))
    return out


def changes(samples_):
    return [x for x in samples_ if not x[4]]


def place_log(d):
    """Placement records as (time, request_id, step, case_ref)."""
    out = []
    for k, v in dump(d, "place_log"):
        out.append((int.from_bytes(k[:8], "big"),
                    k[8:56].rstrip(b"\0").decode(), k[56],
                    v[48:96].rstrip(b"\0").decode()))
    return out


def placements_db(d):
    """The live placements db: request_id -> case_ref."""
    return {k.decode(): v[48:96].rstrip(b"\0").decode()
            for k, v in dump(d, "placements")}


def wait_until(t):
    delay = t - time.time()
    if delay > 0:
        time.sleep(delay)


class Ingest:
    """Reports in the background, each one a change, until stopped."""

    def __init__(self, d, shelters):
        self.d = d
        self.shelters = shelters
        self.acked = {s: 0 for s, _ in shelters}
        self.stopping = threading.Event()
        self.failed = []
        self.thread = threading.Thread(target=self.loop)
        self.thread.start()

    def loop(self):
        i = 0
        while not self.stopping.is_set():
            for sid, cap in self.shelters:
                r = self.d.report("-s", sid, "-b",
                                  f"women={cap}/{1 + i % 2}")
                if r.rc == 0:
                    self.acked[sid] += 1
                else:
                    self.failed.append(r)
            i += 1

    def stop(self):
        self.stopping.set()
        self.thread.join()
        check_eq(self.failed, [], "every background report stored")
        return self.acked


# ---- reports ---------------------------------------------------------------

def scenario(d):
    """A few placements from R1 and a full R2; see the checks."""
    for sid, beds in (("A1", "women=4/0"), ("B1", "women=4/0"),
                      ("B2", "women=6/0"), ("C1", "women=10/0"),
                      ("D1", "women=10/5"), ("M1", "minors=1/0")):
        report(d, sid, beds)
    common = ["-c", "women", "-r", "R1", "-x", "R4", "--no-wait", "--json"]
    # 1: held in R2 (B2, most free beds), accepted: elsewhere.
    r = place(d, "request", "-C", CASE_REFS[0], "-i", "q1", *common)
    check_eq((r.rc, r.json()["held_region"]), (0, "R2"), f"q1 {r}")
    check_eq(d.report("accept", "q1", "--shelter", "B2").rc, 0, "accept")
    # 2: declined twice for want of room, then accepted elsewhere.
    check_eq(place(d, "request", "-C", CASE_REFS[1], "-i", "q2",
                   *common).rc, 0, "q2")
    check_eq(d.report("decline", "q2", "--shelter", "B2", "--reason",
                      "no-bed").rc, 0, "decline B2")
    held = json.loads(place(d, "status", "q2", "--json").out)
    check_eq(held["held_region"], "R2", f"q2 moved to B1 {held}")
    check_eq(d.report("decline", "q2", "--shelter", "B1", "--reason",
                      "no-bed").rc, 0, "decline B1")
    holds = d.report("holds", "--shelter", "C1", "--json")
    check("q2" in holds.out, f"q2 held in C1: {holds}")
    check_eq(d.report("accept", "q2", "--shelter", "C1").rc, 0, "accept")
    # 3: in its own region (A1 is R1's only shelter).
    r = place(d, "request", "-C", CASE_REFS[2], "-i", "q3", "-o", "-x",
              "R2", "-x", "R3", *common)
    check_eq((r.rc, r.json()["held_region"]), (0, "R1"), f"q3 {r}")
    check_eq(d.report("accept", "q3", "--shelter", "A1").rc, 0, "accept")
    # 4: cancelled while held.
    check_eq(place(d, "request", "-C", CASE_REFS[3], "-i", "q4",
                   *common).rc, 0, "q4")
    check_eq(place(d, "cancel", "q4").rc, 0, "cancel q4")
    # 5: security 3 outside R3: nobody.
    r = place(d, "request", "-C", CASE_REFS[4], "-i", "q5", "-s", "3",
              "-x", "R3", *common)
    check_eq(r.json()["state"], "unplaced", f"q5 {r}")
    # R2 full for a moment, then B2 empties.
    report(d, "B1", "women=4/4")
    report(d, "B2", "women=6/6")
    check_eq(d.region("R2", "women")["level"], "critical", "R2 full")
    report(d, "B2", "women=6/0")


def rows_by_key(rep):
    return {(r["region"], r["category"]): r for r in rep["rows"]}


def no_case_refs(text, what):
    for ref in CASE_REFS:
        check(ref not in text, f"{what} lists a case_ref: {ref}")
    for rid in ("q1", "q2", "q3", "q4", "q5"):
        check(f'"{rid}"' not in text and f" {rid} " not in text,
              f"{what} lists a request id: {rid}")


@run
def test_report_of_a_month_driven_in_real_time():
    d = daemon()
    scenario(d)
    r = d.ctl("--json", "report", "--month", month())
    check_eq(r.rc, 0, f"report {r}")
    no_case_refs(r.out, "the JSON report")
    rep = r.json()
    check_eq((rep["month"], rep["public"], rep["critical_pct"]),
             (month(), False, 100), "header")
    rows = rows_by_key(rep)
    r1 = rows[("R1", "women")]
    check_eq({k: r1[k] for k in ("requested", "placed_in_region",
                                 "placed_supra", "unplaced", "cancelled",
                                 "declines")},
             {"requested": 5, "placed_in_region": 1, "placed_supra": 2,
              "unplaced": 1, "cancelled": 1, "declines": 2}, "R1 women")
    check(0 <= r1["ttp_median_secs"] <= r1["ttp_p90_secs"] < 60,
          f"time to placement: {r1}")
    # A1: 4 beds, one held then occupied: 0 % then 25 %.
    check_eq(r1["peak_occupancy_pct"], 25.0, "R1 peak")
    check(0 <= r1["avg_occupancy_pct"] <= 25.0, f"R1 average {r1}")
    # R2 was full: a critical day; R4 never changed: exactly 50 %.
    r2 = rows[("R2", "women")]
    check_eq((r2["peak_occupancy_pct"], r2["days_critical"]), (100.0, 1),
             "R2 peak and critical day")
    check(0 < r2["avg_occupancy_pct"] < 100, f"R2 average {r2}")
    r4 = rows[("R4", "women")]
    check_eq((r4["avg_occupancy_pct"], r4["peak_occupancy_pct"],
              r4["days_critical"], r4["requested"]), (50.0, 50.0, 0, 0),
             "R4")
    check_eq(rows[("national", "women")]["requested"], 5, "national")
    check_eq(rows[("R3", "minors")]["avg_occupancy_pct"], 0.0, "minors")
    check_eq([(x["region"], x["reason"], x["count"])
              for x in rep["declines"]],
             [("R1", "no-bed", 2), ("national", "no-bed", 2)],
             "declines by reason")

    # The same numbers as CSV, and as a table.
    r = d.ctl("report", "--month", month(), "--csv")
    check_eq(r.rc, 0, f"csv {r}")
    no_case_refs(r.out, "the CSV report")
    table, reasons = r.out.split("\n\n")
    parsed = list(csv.DictReader(io.StringIO(table)))
    check_eq(len(parsed), len(rep["rows"]), "one CSV line per row")
    line = [x for x in parsed if (x["region"], x["category"]) ==
            ("R1", "women")][0]
    check_eq((line["requested"], line["placed_supra"], line["declines"]),
             ("5", "2", "2"), "CSV R1")
    check(["R1", "women", "no-bed", "2"] in
          list(csv.reader(io.StringIO(reasons))), reasons)
    r = d.ctl("report", "--month", month())
    check_eq(r.rc, 0, f"table {r}")
    no_case_refs(r.out, "the table")
    check(any(l.startswith("R4 ") and " 50.0 " in l
              for l in r.out.splitlines()), r.out)

    # Refusals.
    r = d.ctl("report", "--month", "2026-13")
    check_eq(r.rc, 1, f"bad month {r}")
    check("YYYY-MM" in r.err, r.err)
    check_eq(d.ctl("report").rc, 2, "report needs --month")
    check_eq(d.ctl("report", "--month", "2099-01").rc, 1, "future month")
    d.stop()
    return d


@run
def test_public_report_has_no_small_cell():
    # Counts only: cells of few shelters merge at [privacy] k_anonymity
    # (25-need-to-know.py); here every region has one or two.
    d = daemon("[history]\nk_anonymity = 5\n[privacy]\nk_anonymity = 1\n")
    scenario(d)
    r = d.ctl("--json", "report", "--month", month(), "--public")
    check_eq(r.rc, 0, f"public {r}")
    no_case_refs(r.out, "the public report")
    rep = r.json()
    check_eq((rep["public"], rep["k"]), (True, 5), "public, k")
    counts = ("requested", "placed_in_region", "placed_supra", "unplaced",
              "cancelled", "declines")
    for row in rep["rows"]:
        for c in counts:
            v = row[c]
            check(v is None or v == 0 or v >= 5,
                  f"cell {c} = {v} below k: {row}")
        for c in row["suppressed"]:
            if c in counts:
                check_eq(row[c], None, f"suppressed {c} is not sent")
        check(set(row["complementary"]) <= set(row["suppressed"]),
              f"complementary cells are suppressed ones {row}")
        # Derived follows its count: no time to placement where a
        # placement count is hidden.
        if {"placed_in_region", "placed_supra"} & set(row["suppressed"]):
            check_eq(row["ttp_median_secs"], None, f"ttp hidden {row}")
    for x in rep["declines"]:
        check(x["count"] is None or x["count"] == 0 or x["count"] >= 5,
              f"decline {x}")
        check_eq(x["region"], "national", "public reasons: national only")
    check(rep["suppressed_cells"] > 0, "something was suppressed")
    r1 = rows_by_key(rep)[("R1", "women")]
    check_eq(r1["requested"], 5, "5 requests: shown")
    check("placed_supra" in r1["suppressed"], f"2 supra: hidden {r1}")
    # R4 has 10 beds but only 5 taken: occupancy is shown.
    check_eq(rows_by_key(rep)[("R4", "women")]["avg_occupancy_pct"], 50.0,
             "R4 shown")
    # M1's 1 minors bed would tell of a person.
    check("occupancy" in rows_by_key(rep)[("R3", "minors")]["suppressed"],
          "1 bed: hidden")
    r = d.ctl("report", "--month", month(), "--public")
    check_eq(r.rc, 0, f"public table {r}")
    check("suppressed. <5: a count" in r.out, r.out)
    no_case_refs(r.out, "the public table")
    regions = ("R1", "R2", "R3", "R4", "national")
    for line in r.out.splitlines():
        words = line.split()
        if len(words) < 11 or words[0] not in regions:
            continue
        # REQ IN SUPRA UNPL CANC DECL (CRIT counts days, not people).
        for word in words[5:11]:
            check(word not in ("1", "2", "3", "4"),
                  f"a small count in the public table: {line!r}")
    r = d.ctl("report", "--month", month(), "--public", "--k", "2",
              "--csv")
    check_eq(r.rc, 0, f"k 2 {r}")
    check(",<2," in r.out or ",<2\n" in r.out, r.out)
    d.stop()
    return d


@run
def test_public_report_cannot_be_differenced():
    """The issue's month: R1 placed 5 and R2 placed 1 (the nation 6). The
    public report used to show R1's time to placement (so R1 >= 5, hence
    R1 = 5 and R2 = 1) and cells hidden to protect a neighbour as "<5"
    though they held 5 or more."""
    d = daemon("[history]\nk_anonymity = 5\n")
    report(d, "D1", "women=10/0")
    n = 0

    def request(region, accept):
        nonlocal n
        n += 1
        rid, ref = f"p{n}", f"{region}-2026-{n:04d}"
        others = [x for x in ("R1", "R2", "R3") if x != region]
        args = ["request", "-r", region, "-c", "women", "-C", ref, "-i",
                rid, "--no-wait", "--json"]
        for x in others:
            args += ["-x", x]
        r = place(d, *args)
        check_eq((r.rc, r.json()["held_region"]), (0, "R4"), f"{rid} {r}")
        if accept:
            check_eq(d.report("accept", rid, "--shelter", "D1").rc, 0,
                     f"accept {rid}")
        else:
            check_eq(place(d, "cancel", rid).rc, 0, f"cancel {rid}")

    for _ in range(5):
        request("R1", True)
    request("R2", True)
    for _ in range(7):
        request("R2", False)
    request("R3", False)
    full = rows_by_key(d.ctl("--json", "report", "--month", month()).json())
    rep = d.ctl("--json", "report", "--month", month(), "--public").json()
    pub = rows_by_key(rep)
    counts = ("requested", "placed_in_region", "placed_supra", "unplaced",
              "cancelled", "declines")
    for key, row in pub.items():
        for c in counts:
            truth = full.get(key, {}).get(c, 0) or 0
            if c in row["complementary"]:
                check(truth >= 5, f"{key} {c} marked >=5 holds {truth}")
            elif c in row["suppressed"]:
                check(truth < 5, f"{key} {c} marked <5 holds {truth}")
            else:
                check_eq(row[c], truth, f"{key} {c} shown as it is")
    r1, r2 = pub[("R1", "women")], pub[("R2", "women")]
    nat = pub[("national", "women")]
    check("placed_supra" in r2["suppressed"] and
          "placed_supra" not in r2["complementary"], f"R2's 1: <5 {r2}")
    check("placed_supra" in r1["complementary"], f"R1's 5: >=5 {r1}")
    check_eq(r1["ttp_median_secs"], None, "no time to placement for R1")
    check_eq(nat["placed_supra"], None, f"the nation's 6 hidden too {nat}")
    # R3's 1 request is "<5"; R2's 8 are not marked as if small.
    check("requested" in pub[("R3", "women")]["suppressed"], "R3's 1")
    check("requested" not in r2["suppressed"] or
          "requested" in r2["complementary"], f"R2's 8 {r2}")
    table = d.ctl("report", "--month", month(), "--public").out
    check(">=5" in table and "<5" in table, table)
    d.stop()
    return d


@run
def test_trend_chart():
    d = daemon()
    scenario(d)
    r = d.ctl("--json", "trend", "--region", "R2", "--category", "women",
              "--days", "1", "--buckets", "24")
    check_eq(r.rc, 0, f"trend {r}")
    t = r.json()
    check_eq((t["region"], t["category"], t["bucket_secs"],
              len(t["points"])), ("R2", "women", 3600, 24), "shape")
    # Hours of today (UTC), midnight to midnight: the data is in the
    # current hour, later hours have none yet.
    now = time.time()
    midnight = int(now) - int(now) % 86400
    check_eq(t["points"][0]["from"], time.strftime(
        "%Y-%m-%dT%H:%M:%SZ", time.gmtime(midnight)), "starts at midnight")
    hour = (int(time.time()) - midnight) // 3600
    cur = t["points"][hour]
    check_eq((cur["peak_occupancy_pct"], cur["min_free"],
              cur["capacity"]), (100.0, 0, 10), f"this hour {cur}")
    check(all(p["data_secs"] == 0 for p in t["points"][:max(0, hour - 1)]),
          "no history before the test")
    check(all(p["data_secs"] == 0 for p in t["points"][hour + 1:]),
          "no history after now")
    # Days are calendar days labelled by their own date: today's data is
    # under today's date, not yesterday's.
    r = d.ctl("--json", "trend", "--region", "R2", "--category", "women",
              "--days", "3")
    check_eq(r.rc, 0, f"daily trend {r}")
    t = r.json()
    today = time.strftime("%Y-%m-%d", time.gmtime())
    check_eq(t["points"][-1]["from"], today + "T00:00:00Z",
             f"the last bucket is today {t}")
    check(t["points"][-1]["data_secs"] > 0, f"today has the data {t}")
    check(all(p["data_secs"] == 0 for p in t["points"][:-2]),
          f"nothing before yesterday {t}")
    text = d.ctl("trend", "--region", "R2", "--category", "women",
                 "--days", "3").out
    check(re.search(r"^%s +\|#" % today, text, re.M) is not None,
          f"today's line is labelled by today and has data: {text}")
    # One bucket with data: the chart still draws it.
    svg1 = os.path.join(d.tmp, "trend1.svg")
    r = d.ctl("trend", "--region", "R2", "--category", "women", "--days",
              "30", "--svg", svg1)
    check_eq(r.rc, 0, f"trend --svg, 30 days {r}")
    import xml.etree.ElementTree as ET
    marks = [e for e in ET.parse(svg1).getroot().iter()
             if e.tag.endswith("circle")]
    check(len(marks) >= 2, f"one day of history: average and peak marks "
          f"drawn ({len(marks)})")
    check(d.ctl("trend", "--region", "R2", "--category", "women",
                "--days", "1", "--buckets", "7").rc != 0,
          "buckets that do not divide the days are refused")
    r = d.ctl("trend", "--region", "national", "--category", "women",
              "--days", "2")
    check_eq(r.rc, 0, f"national trend {r}")
    lines = r.out.splitlines()
    check_eq(len(lines), 2 + 2, f"two days, two lines: {r.out}")
    check("#" in lines[-1] and "no history" in lines[-2], r.out)
    svg = os.path.join(d.tmp, "trend.svg")
    r = d.ctl("trend", "--region", "R2", "--category", "women", "--days",
              "1", "--buckets", "24", "--svg", svg)
    check_eq(r.rc, 0, f"trend --svg {r}")
    import xml.etree.ElementTree as ET
    root = ET.parse(svg).getroot()  # well-formed, or this raises
    lines_ = [e for e in root.iter() if e.tag.endswith("polyline")]
    check_eq(len(lines_), 2, "average and peak lines")
    check(len(lines_[1].get("points").split()) >= 1, "the peak is drawn")
    r = d.ctl("trend", "--region", "R9", "--category", "women", "--days",
              "1")
    check_eq(r.rc, 1, f"unknown region {r}")
    check_eq(d.ctl("trend", "--region", "R1", "--days", "1").rc, 2,
             "trend needs a category")
    d.stop()
    return d


def http_get(url, token=None):
    """(status, content type, body bytes)"""
    req = urllib.request.Request(url)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers["Content-Type"], r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers["Content-Type"], e.read()


@run
def test_trend_and_history_over_http():
    token = "history-http-token-5b2e9d"
    d = Daemon(config="[daemon]\ntick_ms = 100\n[http]\ntoken = %s\n"
               % token)
    _started.append(d)
    d.http = f"http://127.0.0.1:{free_ports(1)[0]}"
    d.with_registry(REGIONS, SHELTERS).start()
    scenario(d)
    # The chart of shelterctl trend --svg, served: for everyone (region
    # totals only), the same drawing.
    st, ctype, body = http_get(d.http + "/api/trend.svg?region=R2&"
                               "category=women&days=30")
    check_eq((st, ctype), (200, "image/svg+xml"), f"svg {body[:200]!r}")
    import xml.etree.ElementTree as ET
    served = ET.fromstring(body)
    svg = os.path.join(d.tmp, "cli.svg")
    check_eq(d.ctl("trend", "--region", "R2", "--category", "women",
                   "--days", "30", "--svg", svg).rc, 0, "cli svg")
    cli = ET.parse(svg).getroot()
    check_eq([e.tag for e in served.iter()], [e.tag for e in cli.iter()],
             "the same elements as shelterctl's")
    check_eq([e.text for e in served.iter() if e.tag.endswith("text")],
             [e.text for e in cli.iter() if e.tag.endswith("text")],
             "the same labels")
    check(any(e.tag.endswith("circle") for e in served.iter()),
          "today's data drawn")
    for bad, want in (("region=R2&days=30", 400),
                      ("region=R9&category=women", 404),
                      ("region=R2&category=women&days=0", 400),
                      ("region=R2&category=cats", 400)):
        check_eq(http_get(d.http + "/api/trend.svg?" + bad)[0], want, bad)
    # Per region and day, and the window's placement counts.
    st, ctype, body = http_get(d.http + "/api/trend?days=30")
    check_eq(st, 200, f"trend json {body[:300]!r}")
    pub = json.loads(body)
    check_eq((pub["zone"], pub["days"], pub["bucket_secs"], pub["public"]),
             ("UTC", 30, 86400, True), "header")
    today = time.strftime("%Y-%m-%d", time.gmtime())
    check(pub["until"].startswith(today), pub["until"])
    r2 = [r for r in pub["regions"] if r["region"] == "R2"][0]
    peak = r2["categories"]["women"]["peak"]
    check_eq((len(peak), peak[-1]), (30, 100.0), f"R2 full today {peak}")
    check(all(v is None for v in peak[:-2]), "no history before")
    r1 = [r for r in pub["regions"] if r["region"] == "R1"][0]
    h = r1["history"]["women"]
    # Public: R1's 1 in-region and 2 elsewhere are below k = 5.
    check_eq((h["placed_in_region"], h["placed_elsewhere"]), (None, None),
             f"small counts hidden without the token {h}")
    check(len(h["suppressed"]) > 0, f"and said to be {h}")
    no_case_refs(body.decode(), "/api/trend")
    st, _, body = http_get(d.http + "/api/trend?days=30", token)
    full = json.loads(body)
    h = [r for r in full["regions"] if r["region"] == "R1"][0][
        "history"]["women"]
    check_eq((full["public"], h["placed_in_region"], h["placed_elsewhere"],
              h["unplaced"]), (False, 1, 2, 1), f"with the token {h}")
    check_eq(http_get(d.http + "/api/trend?days=40")[0], 400, "31 at most")
    # The age of a region's oldest report, for everyone.
    st, _, body = http_get(d.http + "/api/status")
    reg = {r["region"]: r for r in json.loads(body)["regions"]}
    check(reg["R2"]["oldest_report"].startswith(today), reg["R2"])
    check(all(r["oldest_report"] for r in reg.values()), "all reported")
    d.stop()
    return d


# ---- retention -------------------------------------------------------------

@run
def test_sample_retention_under_concurrent_ingest():
    # Seconds, with room for a loaded machine between the steps.
    retention = 6
    young = retention + 1
    d = daemon(f"[history]\nsample_retention_secs = {retention}\n"
               "purge_interval_secs = 1\npurge_batch = 2\n")
    # The checkpoint at start comes with the first tick (100 ms): six
    # reports can be quicker than that.
    deadline = time.time() + 5
    while time.time() < deadline and not any(x[1] == 0
                                             for x in samples(d)):
        time.sleep(0.05)
    # Old history: A1 three times, B1 twice, M1 once.
    for sid, beds in (("A1", "women=4/0"), ("A1", "women=4/1"),
                      ("A1", "women=4/3"), ("B1", "women=4/0"),
                      ("B1", "women=4/4"), ("M1", "minors=1/1")):
        report(d, sid, beds)
    old = samples(d)
    check_eq(len(changes(old)), 6, f"one sample per change: {old}")
    check(any(x[1] == 0 for x in old), "a checkpoint at start")
    max_old = max(x[2] for x in old)
    # Young history, from well after the old, while the purge runs:
    # A1 (which has old samples too), C1 and D1. Half a second late: the
    # daemon's time() is the kernel's coarse clock, a tick behind
    # Python's, so a report sent at max_old + young sharp was stamped a
    # second earlier now and then (seen on a loaded machine).
    wait_until(max_old + young + 0.5)
    ingest = Ingest(d, [("A1", 4), ("C1", 10), ("D1", 10)])
    # The old are past their period once the daemon's clock reaches
    # max_old + retention + 1; a purge runs every second.
    wait_until(max_old + retention + 2.3)
    acked = ingest.stop()
    left = samples(d)
    check(time.time() < max_old + young + retention + 1,
          "checked before the young ones were due (machine too slow?)")
    check_eq([s for s in left if s in old], [], "every old sample purged")
    check(all(x[2] >= max_old + young for x in left),
          f"nothing else is left: {left}")
    per_shelter = {sid: sum(1 for s in changes(left) if s[0] == sid)
                   for sid in acked}
    check_eq(per_shelter, acked,
             "every young sample kept: one per acknowledged report")
    check("expired entries deleted" in d.read_log(), "purge logged")
    check("(more next tick)" in d.read_log(), "small batches")
    d.stop()
    return d


@run
def test_placement_retention_and_case_ref_blanking():
    d = daemon("[history]\nplacement_retention_secs = 8\n"
               "case_ref_retention_secs = 3\npurge_interval_secs = 1\n")
    for sid, beds in (("A1", "women=4/0"), ("B1", "women=4/0"),
                      ("B2", "women=6/0"), ("C1", "women=10/0")):
        report(d, sid, beds)
    ingest = Ingest(d, [("C1", 10)])
    common = ["-c", "women", "-r", "R1", "--no-wait"]
    check_eq(place(d, "request", "-C", "R1-2026-0201", "-i", "qa",
                   *common).rc, 0, "qa")
    check_eq(d.report("accept", "qa", "--shelter", "B2").rc, 0, "accept")
    check_eq(place(d, "request", "-C", "R1-2026-0202", "-i", "qb",
                   *common).rc, 0, "qb")
    check_eq(place(d, "cancel", "qb").rc, 0, "cancel qb")
    log = place_log(d)
    check_eq(sorted((rid, step) for _, rid, step, _ in log),
             [("qa", 1), ("qa", 3), ("qb", 1), ("qb", 5)],
             "requested, accepted, requested, cancelled")
    check(all(ref for _, _, _, ref in log), "case_refs kept at first")
    max_ab = max(t for t, _, _, _ in log)
    # A later request, still young when the first two are blanked.
    wait_until(max_ab + 3)
    check_eq(place(d, "request", "-C", "R1-2026-0203", "-i", "qc",
                   *common).rc, 0, "qc")
    check_eq(d.report("accept", "qc", "--shelter", "B2").rc, 0, "accept")
    t_c = min(t for t, rid, _, _ in place_log(d) if rid == "qc")

    wait_until(max_ab + 3 + 2.2)
    log, live = place_log(d), placements_db(d)
    check(time.time() < t_c + 3 + 1, "checked in time (machine too slow?)")
    check_eq(sorted((rid, bool(ref)) for _, rid, _, ref in log),
             [("qa", False), ("qa", False), ("qb", False), ("qb", False),
              ("qc", True), ("qc", True)], "old case_refs blanked")
    check_eq(live, {"qa": "", "qb": "", "qc": "R1-2026-0203"},
             "and in the placements db")
    st = json.loads(place(d, "status", "qa", "--json").out)
    check_eq((st["state"], st["case_ref"]), ("accepted", None),
             "the request itself is still there")

    wait_until(max_ab + 8 + 2.2)
    log, live = place_log(d), placements_db(d)
    check(time.time() < t_c + 8 + 1, "checked in time (machine too slow?)")
    check_eq(sorted((rid, bool(ref)) for _, rid, _, ref in log),
             [("qc", False), ("qc", False)], "old records deleted")
    check_eq(live, {"qc": ""}, "finished requests deleted, qc blanked")
    check_eq(place(d, "status", "qa").rc, 1, "qa is gone")
    ingest.stop()
    check("R1-2026-020" not in d.read_log(), "case_refs never logged")
    d.stop()
    return d


# ---- early warning ----------------------------------------------------------

@run
def test_early_warning_before_the_region_is_full():
    d = Daemon(registry=TEST_REGISTRY)
    d.http = f"http://127.0.0.1:{free_ports(1)[0]}"
    _started.append(d)
    d.start()
    # R1 women: S1 and S2, 10 beds each. 16 taken, 1 expected to free
    # within 24 h: (20 - 4 - 1) / 20 = 75 %, under the early 80 %.
    report(d, "S1", "women=10/8", "--expect", "women=1/2")
    report(d, "S2", "women=10/8", "-b", "minors=4/0")
    t = d.region("R1", "women")
    check_eq((t["expected_free_24h"], t["expected_free_72h"],
              t["forecasting"], t["early_warning"]), (1, 2, 1, "ok"),
             "forecast shown")
    # Nothing expected any more: 80 % with 4 beds still free.
    report(d, "S1", "women=10/8", "--expect", "women=0")
    t = d.region("R1", "women")
    check_eq((t["early_warning"], t["level"], t["free"]),
             ("warning", "ok", 4), "early warning, region not full")
    # (R2 and R3 never reported: their coverage warnings are open too.)
    alerts = [a for a in d.ctl("--json", "alerts").json()
              if a["kind"] != "coverage"]
    check_eq([(a["kind"], a["region"], a["level"]) for a in alerts],
             [("early_warning", "R1", "warning")], "an open alert")
    # The page names it too, in the same shape, and /metrics counts it
    # under its own kind.
    with urllib.request.urlopen(d.http + "/api/alerts", timeout=10) as r:
        page = [a for a in json.load(r)["alerts"]
                if a["kind"] != "coverage"]
    check_eq([(a["kind"], a["opened_seq"]) for a in page],
             [("early_warning", alerts[0]["opened_seq"])], "/api/alerts")
    check_eq({k: v for k, v in page[0].items() if k != "age_secs"},
             {k: v for k, v in alerts[0].items() if k != "age_secs"},
             "the same alert on the page as in shelterctl")
    with urllib.request.urlopen(d.http + "/metrics", timeout=10) as r:
        metrics = r.read().decode()
    check('shelterd_events_total{kind="early_warning",level="warning"} 1'
          in metrics.splitlines(), metrics)
    check(not any(line.startswith('shelterd_events_total{kind='
                                  '"acknowledged"') for line in
                  metrics.splitlines()), "nothing acknowledged yet")
    # A restart keeps the level: no second warning, nothing "rebuilt".
    d.stop()
    d.start()
    check_eq(d.region("R1", "women")["early_warning"], "warning",
             "after a restart")
    check("rebuilt" not in d.read_log(), "aggregates matched")
    report(d, "S2", "women=10/10", "-b", "minors=4/0")   # 90 %: warning
    report(d, "S1", "women=10/9", "--expect", "women=5/5")  # 70 %
    w = d.watch("--since", "0")
    events = [e for e in w.stop(settle=1.0) if e["category"] == "women"
              and e["scope"] == "region" and e["kind"] != "coverage"]
    check_eq([(e["kind"], e["level"]) for e in events],
             [("early_warning", "warning"), ("occupancy", "warning"),
              ("early_warning", "cleared")], "early, then the warning")
    first = events[0]
    check_eq((first["free"], first["expected_free_24h"],
              first["capacity"]), (4, 0, 20), "the event says why")
    sh = d.ctl("--json", "shelter", "S1").json()
    check_eq(sh["beds"]["women"], {"capacity": 10, "occupied": 9,
                                   "out_of_service": 0, "held": 0,
                                   "free": 1, "reserve_open": 0,
                                   "level": "ok",
                                   "expected_free_24h": 5,
                                   "expected_free_72h": 5}, "S1 beds")
    r = d.report("-s", "S1", "-b", "women=10/9", "--expect", "women=3/2")
    check_eq(r.rc, 1, f"72 h includes 24 h {r}")
    r = d.report("-s", "S1", "-b", "women=10/9", "--expect", "women=10")
    check_eq(r.rc, 1, f"more than occupied {r}")
    check_eq(d.report("-s", "S1", "-b", "women=10/9", "--expect",
                      "men=1").rc, 2, "a category without --beds")
    d.stop()
    return d


# ---- schema 2 stores are migrated -------------------------------------------

def mdb_load(path, db, pairs):
    tool = shutil.which("mdb_load")
    if tool is None:
        raise Failure("mdb_load not found: install lmdb-utils (tools/deps)")
    text = "VERSION=3\nformat=bytevalue\ntype=btree\nHEADER=END\n"
    for k, v in pairs:
        text += f" {k.hex()}\n {v.hex()}\n"
    text += "DATA=END\n"
    p = subprocess.run([tool, "-s", db, path], input=text, text=True,
                       capture_output=True, timeout=20)
    check_eq(p.returncode, 0, f"mdb_load {db}: {p.stderr}")


@run
def test_schema_2_store_is_migrated():
    d = Daemon(registry=TEST_REGISTRY)
    _started.append(d)
    os.makedirs(d.data)
    now = int(time.time()) - 10
    # struct shelter_state of schema 2: 112 bytes.
    beds = struct.pack("<4I", 10, 7, 0, 0) + bytes(16 * 4)
    s1 = struct.pack("<QqqBB5BB", 5, now, now, 1, 1, 0, 0, 0, 0, 0, 0)
    check_eq(len(s1 + beds), 112, "schema 2 shelter_state")
    mdb_load(d.data, "shelters", [(b"S1", s1 + beds)])
    mdb_load(d.data, "regions", [(b"R1", bytes(148))])
    mdb_load(d.data, "meta", [(b"schema", struct.pack("<I", 2)),
                              (b"national", bytes(148)),
                              (b"next_event_seq", struct.pack("<Q", 1))])
    d.start()
    check("migrated from schema 2 to 5" in d.read_log(), d.read_log())
    t = d.region("R1", "women")
    check_eq((t["capacity"], t["occupied"], t["free"], t["forecasting"]),
             (10, 7, 3, 0), "S1's beds survive, without a forecast")
    sh = d.ctl("--json", "shelter", "S1").json()
    check_eq(sh["last_seq"], 5, "seq kept")
    report(d, "S1", "women=10/8", "--seq", "6", "--expect", "women=1")
    d.stop()
    d.start()
    check_eq(d.read_log().count("migrated from schema 2"), 1,
             "migrated once")
    check_eq(d.region("R1", "women")["expected_free_24h"], 1, "kept")
    d.stop()
    return d


OLD_REASON = b"Maria Jansen born 17-05-1990 is already here"


@run
def test_schema_3_decline_texts_become_other():
    """A schema 3 store holds decline reasons as text, which could name a
    person: on upgrade each becomes "other" and the text is gone."""
    d = Daemon(registry=TEST_REGISTRY)
    _started.append(d)
    os.makedirs(d.data)
    now = int(time.time()) - 60
    # struct placement_state of schema 3: 1856 bytes.
    p = struct.pack("<48s48s32s32s32s96s512s1024sqqq8B", b"old1",
                    b"R1-2026-0901", b"R1", b"", b"R2", OLD_REASON, b"",
                    b"", now - 100, now, 0, 1, 1, 0, 0, 5, 0, 0, 1)
    check_eq(len(p), 1856, "schema 3 placement_state")
    # struct hist_placement of schema 3: 280 bytes, its key 58.
    h = struct.pack("<48s48s32s32s96sqq5B3x", b"old1", b"R1-2026-0901",
                    b"R1", b"R2", OLD_REASON, now - 100, now, 6, 1, 1, 0,
                    1)
    check_eq(len(h), 280, "schema 3 hist_placement")
    key = struct.pack(">Q48sBB", now, b"old1", 6, 0)
    mdb_load(d.data, "placements", [(b"old1", p)])
    mdb_load(d.data, "place_log", [(key, h)])
    mdb_load(d.data, "meta", [(b"schema", struct.pack("<I", 3)),
                              (b"next_event_seq", struct.pack("<Q", 1))])
    d.start()
    check("migrated from schema 3 to 5" in d.read_log(), d.read_log())
    st = json.loads(place(d, "status", "old1", "--json").out)
    check_eq((st["state"], st["last_reason"]), ("cancelled", "other"),
             f"the region sees a key, not the text {st}")
    rep = d.ctl("report", "--month", month(), "--json").json()
    check_eq([(x["region"], x["reason"], x["count"])
              for x in rep["declines"]],
             [("R1", "other", 1), ("national", "other", 1)], "report")
    d.stop()
    dump = subprocess.run(["mdb_dump", "-a", "-p", d.data],
                          capture_output=True, text=True, timeout=20)
    check_eq(dump.returncode, 0, f"mdb_dump {dump.stderr}")
    check("Maria" not in dump.stdout, "the text is gone from the store")


@run
def test_schema_3_store_is_migrated():
    d = Daemon(registry=TEST_REGISTRY)
    _started.append(d)
    os.makedirs(d.data)
    now = int(time.time()) - 10
    # struct shelter_state of schema 3 (unchanged in 4): 160 bytes.
    beds = struct.pack("<4I", 10, 7, 0, 0) + bytes(16 * 4)
    s1 = struct.pack("<QqqBB5BB", 5, now, now, 1, 1, 0, 0, 0, 0, 0, 0)
    s1 = s1 + beds + bytes(48)
    # struct alert_state before request_id: 160 bytes. A stale alert of
    # S1, opened by event 1.
    alert = struct.pack("<QQqqqI4B32s32s48s", 1, 1, now, now, 0, 0, 1, 1,
                        1, 0, b"R1", b"S1", b"")
    check_eq(len(alert), 160, "the old alert_state")
    mdb_load(d.data, "shelters", [(b"S1", s1)])
    # struct aggregate of schema 3: 228 bytes (counts rebuilt at start).
    mdb_load(d.data, "regions", [(b"R1", bytes(228))])
    mdb_load(d.data, "alerts", [(b"1/1/R1/S1/0", alert)])
    mdb_load(d.data, "meta", [(b"schema", struct.pack("<I", 3)),
                              (b"national", bytes(228)),
                              (b"next_event_seq", struct.pack("<Q", 2))])
    d.start()
    check("migrated from schema 3 to 5" in d.read_log(), d.read_log())
    t = d.region("R1", "women")
    check_eq((t["capacity"], t["occupied"], t["registered_capacity"],
              t["known_capacity"], t["never_reported"]), (10, 7, 20, 10, 1),
             "S1's beds survive; coverage from the registry")
    old = [a for a in d.ctl("--json", "alerts").json()
           if a["kind"] == "stale"]
    check_eq([(a["opened_seq"], a["shelter"], a["request_id"])
              for a in old], [(1, "S1", None)], "the old alert reads")
    r = d.ctl("ack", "1", "--by", "national-desk")
    check_eq(r.rc, 0, f"and can be acknowledged {r}")
    d.stop()
    d.start()
    check_eq(d.read_log().count("migrated from schema 3"), 1,
             "migrated once")
    check_eq([a["acknowledged_by"] for a in d.ctl("--json", "alerts").json()
              if a["kind"] == "stale"], ["national-desk"], "kept")
    d.stop()
    return d


@run
def test_schema_4_store_is_migrated():
    """Schema 5 appends reserve beds to a shelter's state and an end to a
    reserve activation. An old state's last 4 bytes were padding: whatever
    they held must not become open reserve beds."""
    d = Daemon(registry=TEST_REGISTRY)
    _started.append(d)
    os.makedirs(d.data)
    now = int(time.time()) - 10
    beds = struct.pack("<4I", 10, 7, 0, 0) + bytes(16 * 4)
    s1 = struct.pack("<QqqBB5BB", 5, now, now, 1, 1, 0, 0, 0, 0, 0, 0)
    s1 = s1 + beds + bytes(44) + b"\xff\xff\xff\xff"
    check_eq(len(s1), 160, "a schema 4 shelter_state")
    # struct reserve_activation of schema 4: 192 bytes; it ended at
    # `until`, an hour ago, so the first tick expires it.
    act = struct.pack("<QqqIB3x32s48s80s", 7, now - 7200, now - 3600, 2, 1,
                      b"R1", b"national", b"surge")
    check_eq(len(act), 192, "a schema 4 reserve_activation")
    mdb_load(d.data, "shelters", [(b"S1", s1)])
    mdb_load(d.data, "regions", [(b"R1", bytes(348))])
    mdb_load(d.data, "reserves", [(struct.pack(">Q", 7), act)])
    mdb_load(d.data, "meta", [(b"schema", struct.pack("<I", 4)),
                              (b"national", bytes(348)),
                              (b"next_event_seq", struct.pack("<Q", 8))])
    d.start()
    check("migrated from schema 4 to 5" in d.read_log(), d.read_log())
    women = d.ctl("--json", "shelter", "S1").json()["beds"]["women"]
    check_eq((women["capacity"], women["occupied"], women["reserve_open"]),
             (10, 7, 0), f"the padding is not reserve beds: {women}")
    deadline = time.monotonic() + 10
    while "reserve activation 7 expired" not in d.read_log():
        if time.monotonic() > deadline:
            raise Failure("the old activation was not expired:\n" +
                          d.read_log())
        time.sleep(0.1)
    d.stop()
    return d


if __name__ == "__main__":
    main([test_report_of_a_month_driven_in_real_time,
          test_public_report_has_no_small_cell,
          test_public_report_cannot_be_differenced,
          test_trend_chart,
          test_trend_and_history_over_http,
          test_sample_retention_under_concurrent_ingest,
          test_placement_retention_and_case_ref_blanking,
          test_early_warning_before_the_region_is_full,
          test_schema_2_store_is_migrated,
          test_schema_3_decline_texts_become_other,
          test_schema_3_store_is_migrated,
          test_schema_4_store_is_migrated])

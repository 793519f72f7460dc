"""Need-to-know on every channel (docs/security.md, "What each party sees"):
the events socket carries no shelter and no cell of fewer than [privacy]
k_anonymity shelters, events_since and alerts give each signer its own,
status merges small cells for those not entitled to them, and a region
learns only how far a held bed is until the shelter accepts."""
import csv
import json
import os
import subprocess
import time

from harness import (BIN, Daemon, check, check_eq, main, make_secrets,
                     Failure)

REGIONS = """code,name,province,seat,lat,lon,neighbours
R1,One,P,S,1,1,R2
R2,Two,P,S,2,2,R1 R3
R3,Three,P,S,3,3,R2 R4
R4,Four,P,S,4,4,R3
"""
# women: R1 4 shelters, R2 3, R3 1 (small), R4 none; men: R1 3, R2 3;
# highsec: R4's one shelter, the only one in the country.
SHELTERS = """id,name,region,security_level,beds
A1,a,R1,0,women:4 men:2
A2,a,R1,0,women:4 men:2
A3,a,R1,0,women:4 men:2
A4,a,R1,0,women:4
B1,b,R2,0,women:4 men:2
B2,b,R2,0,women:4 men:2
B3,b,R2,0,women:4 men:2
C1,c,R3,0,women:4
D1,d,R4,3,highsec:2
"""


CAPACITY = {row["id"]: {b.split(":")[0]: int(b.split(":")[1])
                       for b in row["beds"].split()}
            for row in csv.DictReader(SHELTERS.splitlines())}


class Signed:
    """A daemon that takes only signed requests, on ipc://, with a key for
    every party of the small registry above."""

    def __init__(self):
        self.d = Daemon()
        base = os.path.join(self.d.tmp, "base")
        os.makedirs(base)
        for name, text in (("regions.csv", REGIONS),
                           ("shelters.csv", SHELTERS)):
            with open(os.path.join(base, name), "w") as f:
                f.write(text)
        self.sec = make_secrets(self.d, base)
        self.d.registry = os.path.join(self.sec, "registry")
        self.d.config = "[security]\nallow_unsigned = 0\n"
        self.d.env["SHELTERD_KEY"] = self.key("operator")

    def key(self, identity):
        return os.path.join(self.sec, "keys",
                            identity.replace(":", "-") + ".key")

    def as_(self, identity, tool, *args, timeout=30):
        env = dict(self.d.env, SHELTERD_KEY=self.key(identity))
        p = subprocess.run([BIN[tool], *args], env=env, capture_output=True,
                           text=True, timeout=timeout)
        return p

    def watch(self, identity, *args):
        env = dict(self.d.env, SHELTERD_KEY=self.key(identity))
        return subprocess.Popen([BIN["COORD_WATCH"], "--json", *args],
                                env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def report(self, shelter, full=False):
        """Every category of the shelter, all free or all taken."""
        args = []
        for cat, cap in CAPACITY[shelter].items():
            args += ["-b", f"{cat}={cap}/{cap if full else 0}"]
        p = self.as_("shelter:" + shelter, "SHELTER_REPORT", "--no-outbox",
                     "-s", shelter, *args)
        check_eq(p.returncode, 0, f"report {shelter}: {p.stderr}")

    def all_free(self):
        for sh in CAPACITY:
            self.report(sh)

    def logged(self, identity):
        """Every logged event identity may read (events_since from 0)."""
        p = self.as_(identity, "COORD_WATCH", "--json", "--since", "0",
                     "--wait", "1")
        check_eq(p.returncode, 0, f"coord-watch as {identity}: {p.stderr}")
        return [json.loads(l) for l in p.stdout.splitlines() if l.strip()]


def signed(fn):
    def test():
        s = Signed()
        try:
            s.d.start()
            fn(s)
            s.d.stop()
        finally:
            s.d.cleanup()
    test.__name__ = fn.__name__
    return test


def shelters_of(events):
    return {e["shelter"] for e in events if e["shelter"]}


def cells_of(events):
    return {(e["region"], e["category"]) for e in events
            if e["scope"] == "region" and e["kind"] != "placement"}


def fill_a1_and_c1(s):
    s.all_free()
    s.report("A1", full=True)       # A1 full: a shelter event (R1)
    s.report("C1", full=True)       # C1 full: R3's only women's shelter
    for sh in ("A2", "A3", "A4"):   # R1 women full -> region critical
        s.report(sh, full=True)


@signed
def test_each_signer_reads_its_own_events(s):
    fill_a1_and_c1(s)
    everything = s.logged("national")
    check({"A1", "A2", "A3", "A4", "C1"} <= shelters_of(everything),
          f"national reads every shelter's: {shelters_of(everything)}")
    check(("R3", "women") in cells_of(everything), "and R3's small cell")
    check_eq(shelters_of(s.logged("operator")), shelters_of(everything),
             "the operator too")

    r1 = s.logged("region:R1")
    check_eq(shelters_of(r1), {"A1", "A2", "A3", "A4"}, "R1: its own")
    check(("R1", "women") in cells_of(r1), "R1: its own cell")
    check(("R3", "women") not in cells_of(r1),
          "R1 does not read R3's one-shelter cell")
    r3 = s.logged("region:R3")
    check_eq(shelters_of(r3), {"C1"}, "R3: C1 only")
    check(("R3", "women") in cells_of(r3), "R3: its own small cell")

    a2 = s.logged("shelter:A2")
    check_eq(shelters_of(a2), {"A2"}, "A2 reads only its own")
    check(("R1", "women") in cells_of(a2), "and what is public")
    check_eq(shelters_of(s.logged("shelter:B1")), set(),
             "B1 reads no other shelter's")

    # Alerts, the same way (a shelter key listed every shelter's).
    for who, want in (("shelter:A2", {"A2"}), ("shelter:B1", set()),
                      ("region:R3", {"C1"}),
                      ("national", {"A1", "A2", "A3", "A4", "C1"})):
        p = s.as_(who, "SHELTERCTL", "--json", "alerts")
        check_eq(p.returncode, 0, f"alerts as {who}: {p.stderr}")
        got = {a["shelter"] for a in json.loads(p.stdout) if a["shelter"]}
        check_eq(got, want, f"shelter alerts {who} lists")


@signed
def test_a_region_follows_its_shelters_live(s):
    r1 = s.watch("region:R1", "--wait", "6")
    r2 = s.watch("region:R2", "--wait", "6")
    for w in (r1, r2):
        line = w.stderr.readline()
        check("watching" in line, f"coord-watch: {line!r}")
    time.sleep(0.5)
    s.report("A1", full=True)
    out1, _ = r1.communicate(timeout=30)
    out2, _ = r2.communicate(timeout=30)
    ev1 = [json.loads(l) for l in out1.splitlines() if l.strip()]
    ev2 = [json.loads(l) for l in out2.splitlines() if l.strip()]
    check("A1" in shelters_of(ev1),
          f"R1 sees A1 full while watching (long poll): {ev1}")
    check_eq(shelters_of(ev2), set(), "R2 does not")


@signed
def test_status_merges_cells_of_too_few_shelters(s):
    fill_a1_and_c1(s)

    def status(who):
        p = s.as_(who, "SHELTERCTL", "--json", "status")
        check_eq(p.returncode, 0, f"status as {who}: {p.stderr}")
        st = json.loads(p.stdout)
        return ({r["region"]: r["categories"] for r in st["regions"]},
                st["national"])

    regions, national = status("shelter:B1")
    check_eq(regions["R3"]["women"]["merged"], True, "R3 women: 1 shelter")
    check_eq(regions["R3"]["women"]["capacity"], None, "no figure at all")
    # R2 (3) is merged with it, or national minus the rest gives C1 back.
    check_eq(regions["R2"]["women"]["merged"], True, "R2 women with it")
    check_eq(regions["R1"]["women"]["merged"], False, "R1 women: 4")
    check_eq(regions["R1"]["women"]["free"], 0, "R1 is full")
    check_eq(national["highsec"]["merged"], True,
             "one high-security shelter in the country: not even national")
    check_eq(national["women"]["merged"], False, "national women shown")

    regions, _ = status("region:R3")
    check_eq(regions["R3"]["women"]["merged"], False, "R3 sees its own")
    check_eq(regions["R3"]["women"]["free"], 0, "C1 is full")
    check_eq(regions["R2"]["women"]["merged"], True, "not R2's")
    regions, national = status("national")
    check(not any(c["merged"] for r in regions.values() for c in r.values()),
          "national sees every cell")
    check_eq(national["highsec"]["merged"], False, "and every category")


@signed
def test_a_region_learns_how_far_not_where(s):
    s.all_free()
    p = s.as_("region:R1", "REGION_PLACE", "request", "-r", "R1", "-c",
              "women", "-C", "R1-2026-0042", "-i", "req1", "--no-wait",
              "--json")
    check_eq(p.returncode, 0, f"request: {p.stderr}")
    pl = json.loads(p.stdout)
    check_eq((pl["state"], pl["held_region"], pl["held_proximity"],
              pl["shelter"]), ("held", None, "neighbouring", None),
             "before acceptance: how far only")
    p = s.as_("region:R1", "REGION_PLACE", "status", "req1")
    check("neighbouring region" in p.stdout, f"status text: {p.stdout}")
    check("R2" not in p.stdout, f"no region named: {p.stdout}")
    p = s.as_("national", "SHELTERCTL", "--json", "placements")
    check_eq([x["held_region"] for x in json.loads(p.stdout)], ["R2"],
             "the national coordinator sees where")
    for e in s.logged("national") + s.logged("region:R1"):
        check("held_region" not in e, f"no region in an event: {e}")
        if e["kind"] == "placement" and e["placement_state"] == "held":
            check_eq(e["held_proximity"], "neighbouring", "event")
    holder = None
    for sh in ("B1", "B2", "B3"):
        p = s.as_("shelter:" + sh, "SHELTER_REPORT", "holds", "--shelter",
                  sh, "--json")
        if "req1" in p.stdout:
            holder = sh
    check(holder is not None, "one of R2's shelters holds it")
    p = s.as_("shelter:" + holder, "SHELTER_REPORT", "accept", "req1",
              "--shelter", holder)
    check_eq(p.returncode, 0, f"accept: {p.stderr}")
    p = s.as_("region:R1", "REGION_PLACE", "--json", "status", "req1")
    pl = json.loads(p.stdout)
    check_eq((pl["state"], pl["held_region"], pl["shelter"]),
             ("accepted", "R2", holder), "named once accepted")


@signed
def test_where_few_shelters_would_name_it_another_region(s):
    # From R4 the only neighbour is R3, whose one women's shelter is C1:
    # "neighbouring" would name it.
    s.all_free()
    p = s.as_("region:R4", "REGION_PLACE", "request", "-r", "R4", "-c",
              "women", "-C", "R4-2026-0007", "-i", "req4", "--no-wait",
              "--json")
    check_eq(p.returncode, 0, f"request: {p.stderr}")
    pl = json.loads(p.stdout)
    check_eq(pl["state"], "held", "held")
    check(pl["held_proximity"] in ("other_region", "farther"),
          f"never 'neighbouring' (C1): {pl}")
    p = s.as_("national", "SHELTERCTL", "--json", "placements")
    where = json.loads(p.stdout)[0]["held_region"]
    if where == "R3":
        check_eq(pl["held_proximity"], "other_region", "C1 hidden")


@signed
def test_public_report_and_trend_keep_small_cells_merged(s):
    fill_a1_and_c1(s)
    month = time.strftime("%Y-%m", time.gmtime())
    p = s.as_("shelter:B1", "SHELTERCTL", "--json", "report", "--month",
              month, "--public")
    check_eq(p.returncode, 0, f"public report: {p.stderr}")
    rows = {(r["region"], r["category"]): r for r in json.loads(p.stdout)
            ["rows"]}
    r3 = rows[("R3", "women")]
    check("occupancy" in r3["suppressed"] and
          r3["avg_occupancy_pct"] is None, f"R3 women (C1): hidden {r3}")
    # R2's 12 beds are not few, but merged with R3's: not "<k".
    r2 = rows[("R2", "women")]
    check("occupancy" in r2["complementary"] and
          r2["avg_occupancy_pct"] is None, f"R2 women: merged {r2}")
    check(rows[("R1", "women")]["avg_occupancy_pct"] is not None,
          "R1 women (4 shelters) shown")
    p = s.as_("shelter:B1", "SHELTERCTL", "report", "--month", month,
              "--public")
    check("merged" in p.stdout, f"the table says merged: {p.stdout}")
    trend = ("trend", "--region", "R3", "--category", "women", "--days",
             "1")
    p = s.as_("shelter:B1", "SHELTERCTL", *trend)
    check_eq(p.returncode, 1, f"R3 women's trend is C1's: {p.stdout}")
    check("fewer than" in p.stderr, p.stderr)
    for who in ("region:R3", "national"):
        p = s.as_(who, "SHELTERCTL", *trend)
        check_eq(p.returncode, 0, f"{who} may: {p.stderr}")
    p = s.as_("shelter:B1", "SHELTERCTL", "trend", "--region", "R1",
              "--category", "women", "--days", "1")
    check_eq(p.returncode, 0, f"R1 women's is public: {p.stderr}")


def mask(shelters_csv, k=3):
    """core/disclose.c's merge, written again: (region, category) cells a
    public surface may not show."""
    cells = {}
    for row in csv.DictReader(shelters_csv.splitlines()):
        for part in row["beds"].split():
            cat = part.split(":")[0]
            key = (row["region"], cat)
            cells[key] = cells.get(key, 0) + 1
    hidden = set()
    for cat in {c for _, c in cells}:
        mine = {r: n for (r, c), n in cells.items() if c == cat}
        small = {r for r, n in mine.items() if n < k}
        merged = sum(mine[r] for r in small)
        shown = sorted((n, r) for r, n in mine.items() if r not in small)
        while small and merged < k and shown:
            n, r = shown.pop(0)
            small.add(r)
            merged += n
        hidden |= {(r, cat) for r in small}
    return hidden


def test_a_busy_day_on_the_events_socket_names_no_shelter():
    """A stranger who can connect to the events socket: 10,000 events of
    a busy day (loadgen filling and freeing shelters), and not one shelter
    id, shelter-scope event or one-shelter cell among what it receives."""
    d = Daemon()
    try:
        d.start()
        demo = os.path.join(os.environ["SOURCE_ROOT"], "registry", "demo")
        with open(os.path.join(demo, "shelters.csv")) as f:
            text = f.read()
        hidden = mask(text)
        ids = [row["id"] for row in csv.DictReader(text.splitlines())]
        check(len(hidden) > 0, "the demo registry has small cells")
        sub = subprocess.Popen(
            ["nngcat", "--sub0", "--dial", d.events, "--subscribe", "",
             "--quoted"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(0.5)
        logged = 0
        for _ in range(20):
            g = subprocess.run([os.environ["LOADGEN"], "--api", d.api,
                                "--mode", "batch", "--batch-size", "200",
                                "--connections", "2", "--duration", "1",
                                "--warmup", "0", "--escalate-every", "2",
                                "--registry", demo], env=d.env,
                               capture_output=True, text=True, timeout=120)
            check_eq(g.returncode, 0, f"loadgen: {g.stderr}")
            logged = d.ctl("--json", "ping").json()["last_event_seq"]
            if logged >= 10000:
                break
        check(logged >= 10000, f"a busy day: {logged} events logged")
        time.sleep(1)  # the last events on their way
        sub.terminate()
        out, _ = sub.communicate(timeout=60)
        frames = [l.strip()[1:-1] for l in out.decode().splitlines()
                  if l.strip()]
        topics = [f.split("\\x00", 1)[0] for f in frames]
        events = [t for t in topics if t != "hb"]
        check(len(events) > 0, "region and national events do come")
        check(len(events) < logged, f"{len(events)} of {logged} public")
        for f in frames:
            for sid in ("SH-",):
                if sid in f:
                    raise Failure(f"a shelter id on the bus: {f[:200]}")
        for t in events:
            parts = t.split("/")
            check("shelter" not in parts, f"shelter-scope event: {t}")
            if parts[0] == "esc" and parts[3] == "region":
                check((parts[1], parts[4]) not in hidden,
                      f"a cell of too few shelters on the bus: {t}")
        check(not any(i in "".join(frames) for i in ids[:50]),
              "no registry id")
        d.stop()
    finally:
        d.cleanup()


if __name__ == "__main__":
    main([test_each_signer_reads_its_own_events,
          test_a_region_follows_its_shelters_live,
          test_status_merges_cells_of_too_few_shelters,
          test_a_region_learns_how_far_not_where,
          test_where_few_shelters_would_name_it_another_region,
          test_public_report_and_trend_keep_small_cells_merged,
          test_a_busy_day_on_the_events_socket_names_no_shelter])

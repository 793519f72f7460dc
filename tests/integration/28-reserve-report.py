"""Reserve beds in the monthly report on the real daemon (docs/history.md
"Reserve beds in the report"): a signed national activation, a shelter's
confirmation, a placement accepted into a reserve bed and the release show
in `shelterctl report` as activations, beds asked and confirmed, bed-days
and placements into reserve beds, for the region and the nation; the norm
in force stands next to capacity; --public hides what would tell of one
shelter or a handful of people.
"""
import csv
import io
import os
import shutil
import time

from harness import Daemon, Failure, check, check_eq, main, make_secrets

REGIONS = """code,name,province,seat,lat,lon,neighbours
R1,Region One,P,S1,52.0,5.0,R2
R2,Region Two,P,S2,52.1,5.1,R1
"""
SHELTERS = """id,name,region,security_level,beds
A1,Shelter A1,R1,1,women:4
A2,Shelter A2,R1,1,women:2
B1,Shelter B1,R2,1,women:10
B2,Shelter B2,R2,1,women:3
"""
# Two shelters of each region have reserve beds of women: 4 in all.
RESERVES = """shelter,category,beds_24h,beds_72h
A1,women,1,3
A2,women,0,2
B1,women,2,2
B2,women,1,1
"""
NORMS = """region,category,beds,valid_from
R1,women,8,2026-01-01
R2,women,9,2026-01-01
"""

_started = []


def daemon():
    d = Daemon(config="[daemon]\ntick_ms = 100\n")
    _started.append(d)
    d.with_registry(REGIONS, SHELTERS)
    for name, text in (("reserves.csv", RESERVES), ("norms.csv", NORMS)):
        with open(os.path.join(d.registry, name), "w") as f:
            f.write(text)
    sec = make_secrets(d, d.registry)
    for name in ("reserves.csv", "norms.csv"):
        shutil.copy(os.path.join(d.registry, name),
                    os.path.join(sec, "registry"))
    d.registry = os.path.join(sec, "registry")
    return d, sec


def as_(d, sec, identity, *args):
    key = os.path.join(sec, "keys", identity.replace(":", "-") + ".key")
    return d.run("SHELTERCTL", "--key", key, *args)


def shelter_as(d, sec, sid, *args):
    key = os.path.join(sec, "keys", "shelter-" + sid + ".key")
    return d.run("SHELTER_REPORT", "reserve", "--key", key, *args)


def report(d, sid, beds):
    r = d.report("-s", sid, "-b", beds)
    check_eq(r.rc, 0, f"report {sid} {beds}: {r}")


def month():
    return time.strftime("%Y-%m", time.gmtime())


def monthly(d, *args):
    r = d.ctl("--json", "report", "--month", month(), *args)
    check_eq(r.rc, 0, f"report {args}: {r}")
    return r.json()


def rows(rep):
    return {(x["region"], x["category"]): x for x in rep["rows"]}


RESERVE_KEYS = ("reserve_activations", "reserve_beds_asked",
                "reserve_beds_confirmed", "placed_reserve")


def run_month(d, sec):
    """The month of the issue: returns seconds the confirmed beds counted
    at most (from the confirmation to the release)."""
    for sid, beds in (("A1", "women=4/4"), ("A2", "women=2/2"),
                      ("B1", "women=10/10"), ("B2", "women=3/3")):
        report(d, sid, beds)
    r = as_(d, sec, "national", "--json", "reserve", "activate",
            "--region", "R1", "--category", "women", "--beds", "3",
            "--until", str(int(time.time()) + 86400), "--reason", "surge")
    check_eq(r.rc, 0, f"activate {r}")
    aid = str(r.json()["activation_id"])
    r = shelter_as(d, sec, "A2", "refuse", aid, "--shelter", "A2")
    check_eq(r.rc, 0, f"A2 refuses {r}")
    confirmed_at = time.time()
    r = shelter_as(d, sec, "A1", "confirm", aid, "--shelter", "A1",
                   "--beds", "2")
    check_eq(r.rc, 0, f"A1 confirms {r}")
    # From full R2, into R1's reserve bed.
    r = d.run("REGION_PLACE", "request", "-r", "R2", "-c", "women",
              "-C", "R2-2026-0001", "-i", "res1", "--no-wait", "--json")
    check_eq(r.rc, 0, f"place {r}")
    check_eq((r.json()["state"], r.json()["in_reserve"]), ("held", True),
             f"held in a reserve bed: {r.out}")
    r = d.report("accept", "res1", "--shelter", "A1")
    check_eq(r.rc, 0, f"A1 accepts {r}")
    time.sleep(2.2)  # the beds count for some seconds
    r = as_(d, sec, "national", "reserve", "release", aid)
    check_eq(r.rc, 0, f"release {r}")
    return time.time() - confirmed_at + 1


def test_the_report_counts_reserve_beds():
    d, sec = daemon()
    d.start()
    try:
        most = run_month(d, sec)
        full = rows(monthly(d))
        for key in (("R1", "women"), ("national", "women")):
            row = full.get(key)
            check(row is not None, f"a row for {key}: {sorted(full)}")
            check_eq(tuple(row[k] for k in RESERVE_KEYS), (1, 3, 2, 1),
                     f"{key}: activations, asked, confirmed, placed")
            # 2 beds from the confirmation to the release.
            check(0 < row["reserve_bed_secs"] <= 2 * most,
                  f"{key}: bed-seconds {row['reserve_bed_secs']}")
            check_eq(row["reserve_bed_days"],
                     round(row["reserve_bed_secs"] / 86400, 1),
                     f"{key}: bed-days to 0.1")
            check_eq(row["suppressed"], [], f"{key}: a full report")
        r2 = full[("R2", "women")]
        check_eq(tuple(r2[k] for k in RESERVE_KEYS), (0, 0, 0, 0),
                 f"R2 asked for the bed, R1's reserve held it: {r2}")
        check_eq(r2["placed_supra"], 1, f"placed from R2 elsewhere: {r2}")
        check_eq((full[("R1", "women")]["norm_beds"], r2["norm_beds"],
                  full[("national", "women")]["norm_beds"]), (8, 9, 17),
                 "the norms in force, the nation's their sum")
        # The text report: a table of capacity, norm and reserve beds.
        text = d.ctl("report", "--month", month()).out
        line = [l for l in text.splitlines()[
            text.splitlines().index(
                "Capacity against the norm, and reserve beds"):]
            if l.startswith("R1 ") and " women " in l]
        check(len(line) == 1, f"an R1 women line: {text}")
        f = line[0].split()
        check_eq((f[3], f[4], f[5], f[6], f[8]), ("8", "1", "3", "2", "1"),
                 f"NORM ACTIV ASKED CONFIRM IN-RES: {line[0]}")
        # CSV: the same, by column name.
        out = d.ctl("report", "--month", month(), "--csv").out
        table = list(csv.DictReader(io.StringIO(out.split("\n\n")[0])))
        nat = [x for x in table if x["region"] == "national" and
               x["category"] == "women"][0]
        check_eq((nat["norm_beds"], nat["reserve_activations"],
                  nat["reserve_beds_asked"], nat["reserve_beds_confirmed"],
                  nat["placed_reserve"]), ("17", "1", "3", "2", "1"),
                 f"csv {nat}")
        check(float(nat["reserve_bed_days"]) >= 0, f"csv {nat}")
        # The printable page: the norm and the reserve lines per region.
        html = os.path.join(d.tmp, "report.html")
        r = d.ctl("report", "--month", month(), "--html", html)
        check_eq(r.rc, 0, f"--html {r}")
        with open(html) as f:
            page = f.read()
        r1 = page[page.index('data-region="R1"'):]
        r1 = r1[:r1.index("</section>")]
        check('<td class="norm">8</td>' in r1, f"R1's norm: {r1[:600]}")
        check('class="reserve"' in r1 and
              "<td>women</td><td>1</td><td>3</td><td>2</td>" in r1,
              f"R1's reserve line: {r1[:1600]}")
        check("reserve beds: asked and confirmed" in r1, "its chart")
        check('class="norm"' in r1 and "red line: the norm" in r1,
              "capacity against the norm")
        r2p = page[page.index('data-region="R2"'):]
        r2p = r2p[:r2p.index("</section>")]
        check('class="reserve"' not in r2p and "reserve beds: asked" not
              in r2p, "no reserve table or chart where there is none")
        d.stop()
    finally:
        d.cleanup()


def test_public_hides_what_it_must():
    d, sec = daemon()
    d.start()
    try:
        run_month(d, sec)
        # k 5: one activation, one placement, and 2 shelters with
        # reserve beds in R1 (4 in the country): all hidden.
        rep = monthly(d, "--public")
        pub = rows(rep)
        for key in (("R1", "women"), ("national", "women"), ("R2", "women")):
            row = pub[key]
            for k in RESERVE_KEYS + ("reserve_bed_secs",
                                     "reserve_bed_days"):
                check_eq(row[k], None, f"{key} {k} hidden")
            check({"reserve_activations", "reserve_beds_confirmed",
                   "placed_reserve"} <= set(row["suppressed"]),
                  f"{key}: said to be hidden {row['suppressed']}")
        check_eq(pub[("R1", "women")]["norm_beds"], 8, "a norm is public")
        # k 2: the activation and the placement are still below k; each
        # region has 2 shelters with reserve beds: confirmed beds shown.
        pub = rows(monthly(d, "--public", "--k", "2"))
        for key in (("R1", "women"), ("national", "women")):
            row = pub[key]
            check_eq((row["reserve_activations"], row["placed_reserve"]),
                     (None, None), f"{key}: 1 is below 2")
            check_eq(row["reserve_beds_confirmed"], 2, f"{key} shown")
            check(row["reserve_bed_secs"] > 0, f"{key} bed-seconds")
        check_eq(pub[("R2", "women")]["reserve_beds_confirmed"], 0, "R2")
        # k 3: each region's 2 shelters are too few: both hidden (R2's 0
        # too, or hiding would tell), the nation's 4 shelters are not.
        pub = rows(monthly(d, "--public", "--k", "3"))
        for key in (("R1", "women"), ("R2", "women")):
            row = pub[key]
            check_eq((row["reserve_beds_confirmed"],
                      row["reserve_bed_secs"]), (None, None), f"{key}")
            check("reserve_beds_confirmed" in row["suppressed"] and
                  "reserve_beds_confirmed" not in row["complementary"],
                  f"{key}: too few shelters {row}")
        check_eq(pub[("national", "women")]["reserve_beds_confirmed"], 2,
                 "the nation's 4 shelters")
        # The public page says so and shows no hidden number.
        html = os.path.join(d.tmp, "public.html")
        r = d.ctl("report", "--month", month(), "--public", "--html", html)
        check_eq(r.rc, 0, f"--html {r}")
        with open(html) as f:
            page = f.read()
        r1 = page[page.index('data-region="R1"'):]
        r1 = r1[:r1.index("</section>")]
        res = r1[r1.find('class="reserve"'):][:900]
        check('<td>women</td><td class="hid">&lt;5</td>' in res or
              '<td>women</td><td class="hid"><5</td>' in res,
              f"R1's activations <5: {res}")
        check(">hidden</td>" in r1, "confirmed beds hidden")
        d.stop()
    finally:
        d.cleanup()


TESTS = [test_the_report_counts_reserve_beds,
         test_public_hides_what_it_must]

if __name__ == "__main__":
    try:
        main(TESTS)
    finally:
        for d in _started:
            d.cleanup()

"""Reserve beds a shelter declares by report (shelter-report --reserve), in
place of the registry's reserves.csv, and the export and import of the
reserves (docs/registry.md "reserves.csv").

A declaration counts in every sum of reserve beds: the status totals, what
an activation may ask for, what a shelter may confirm and the national
critical alert's "reserve beds to activate". 0/0 says "none now" and
overrides reserves.csv; bad declarations are refused and change nothing.
"""
import json
import os
import shutil
import time
import urllib.request

from harness import (Daemon, check, check_eq, encode, free_ports, main,
                     make_secrets, raw_request)

TOKEN = "reserve-test-token-5b2e"

REGIONS = """code,name,province,seat,lat,lon,neighbours
R1,Region One,P,S1,52.0,5.0,R2
R2,Region Two,P,S2,52.1,5.1,R1
"""
SHELTERS = """id,name,region,security_level,beds
A1,Shelter A1,R1,1,women:4
A2,Shelter A2,R1,1,women:2 minors:2
B1,Shelter B1,R2,1,women:10
"""
# R1 women 1/5 (A1 1/3, A2 0/2), R2 women 2/2: 3/7 nationally.
RESERVES = ("shelter,category,beds_24h,beds_72h\nA1,women,1,3\n"
            "A2,women,0,2\nB1,women,2,2\n")


def daemon():
    """A daemon on the registry above, with a key per party (the
    activation is the national coordinator's, signed)."""
    d = Daemon(config="[daemon]\ntick_ms = 100\n[http]\ntoken = %s\n"
               % TOKEN)
    d.http = "http://127.0.0.1:%d" % free_ports(1)[0]
    d.with_registry(REGIONS, SHELTERS)
    with open(os.path.join(d.registry, "reserves.csv"), "w") as f:
        f.write(RESERVES)
    sec = make_secrets(d, d.registry)
    shutil.copy(os.path.join(d.registry, "reserves.csv"),
                os.path.join(sec, "registry"))
    d.registry = os.path.join(sec, "registry")
    return d, sec


def signed(d, sec, identity, tool, *args):
    key = os.path.join(sec, "keys", identity.replace(":", "-") + ".key")
    if tool == "SHELTER_REPORT":  # its command first: reserve --key ...
        return d.run(tool, args[0], "--key", key, *args[1:])
    return d.run(tool, "--key", key, *args)


def reserve(d, region, category="women"):
    t = d.region(region, category)
    return (t["reserve_24h"], t["reserve_72h"])


def national(d, category="women"):
    t = d.status()["national"][category]
    return (t["reserve_24h"], t["reserve_72h"])


def dashboard(d, region, category="women"):
    """The dashboard's reserve figures of region (None: the nation)."""
    req = urllib.request.Request(d.http + "/api/status")
    req.add_header("Authorization", f"Bearer {TOKEN}")
    with urllib.request.urlopen(req, timeout=10) as r:
        st = json.loads(r.read())
    t = st["national"][category] if region is None else [
        x for x in st["regions"] if x["region"] == region][0][
            "categories"][category]
    return (t["reserve_24h"], t["reserve_72h"])


def report(d, sid, *args):
    r = d.report("-N", "-s", sid, *args)
    check_eq(r.rc, 0, f"report {sid} {args}: {r}")


def write(d, name, text):
    path = os.path.join(d.tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def test_declared_reserve_beds_count_everywhere():
    d, sec = daemon()
    d.start()
    try:
        check_eq(reserve(d, "R1"), (1, 5), "reserves.csv's R1")
        check_eq(national(d), (3, 7), "reserves.csv's nation")
        # A2 declares women 2/6 (reserves.csv: 0/2) and minors 1/1
        # (none in reserves.csv).
        report(d, "A2", "-b", "women=2/0", "-b", "minors=2/0",
               "--reserve", "women=2/6", "--reserve", "minors=1")
        check_eq(reserve(d, "R1"), (3, 9), "A2's 2/6 in place of 0/2")
        check_eq(reserve(d, "R1", "minors"), (1, 1), "A2's minors")
        check_eq(national(d), (5, 11), "nationally too")
        check_eq((dashboard(d, "R1"), dashboard(d, None)), ((3, 9), (5, 11)),
                 "the dashboard's too")
        b = d.ctl("--json", "shelter", "A2").json()["beds"]["women"]
        check_eq((b["reserve_24h"], b["reserve_72h"]), (2, 6),
                 f"the shelter's JSON: {b}")
        line = [x for x in d.ctl("status").out.splitlines()
                if x.startswith("R1 ") and " women " in x][0]
        check("reserve 3/9" in line, f"status text: {line}")
        # A later report without --reserve keeps the declaration.
        report(d, "A2", "-b", "women=2/1", "-b", "minors=2/0")
        check_eq(reserve(d, "R1"), (3, 9), "kept by a report without it")
        # 0/0: none now, over reserves.csv's 1/3.
        report(d, "A1", "-b", "women=4/0", "--reserve", "women=0")
        check_eq(reserve(d, "R1"), (2, 6), "A1's 0/0 overrides 1/3")
        check_eq(national(d), (4, 8), "and nationally")

        # Bad declarations: refused, with what is wrong; nothing changes.
        before = (d.status(), d.ctl("--json", "shelter", "A2").json())
        r = d.report("-N", "-s", "A2", "-b", "women=2/1", "-b",
                     "minors=2/0", "--reserve", "women=0/20000")
        check(r.rc == 1 and "'women': 20000 reserve beds within 72 h; at "
              "most 10000 are plausible for one shelter" in r.err,
              f"above the limit: {r}")
        r = d.report("-N", "-s", "A2", "-b", "women=2/1", "-b",
                     "minors=2/0", "--reserve", "women=3/2")
        check(r.rc == 2 and "N72 includes N24" in r.err,
              f"the client's own check: {r}")
        now = int(time.time())
        for body, want in (
                ("has_reserve: true reserve_24h: 3 reserve_72h: 2",
                 "'women': 3 reserve beds within 24 h but 2 within 72 h: "
                 "the 72 h figure includes the 24 h one"),
                ("reserve_24h: 1 reserve_72h: 2",
                 "'women': reserve beds without has_reserve")):
            reply = raw_request(d, encode(
                'update { shelter_id: "A2" seq: %d observed_at: %d '
                'status: SHELTER_STATUS_OPEN beds { category: '
                'CATEGORY_ADULT_WOMEN capacity: 2 occupied: 1 %s } '
                'beds { category: CATEGORY_MINORS capacity: 2 } }'
                % (now * 1000000, now, body)))
            check("code: CODE_BAD_REQUEST" in reply and want in reply,
                  f"want {want!r}:\n{reply}")
        # The same seq again with another declaration is a conflict (a
        # seq a millisecond ahead of the reports' clock-made ones).
        seq = int(time.time() * 1000000) + 1000
        r = d.report("-N", "-s", "A1", "-b", "women=4/0", "--seq",
                     str(seq), "--reserve", "women=1/1")
        check_eq(r.rc, 0, f"seq {seq} {r}")
        r = d.report("-N", "-s", "A1", "-b", "women=4/0", "--seq",
                     str(seq), "--reserve", "women=1/2")
        check(r.rc == 1 and "SEQ_CONFLICT" in r.err, f"conflict {r}")
        r = d.report("-N", "-s", "A1", "-b", "women=4/0", "--seq",
                     str(seq + 1), "--reserve", "women=0")
        check_eq(r.rc, 0, f"seq {seq + 1} {r}")
        time.sleep(0.01)
        after = (d.status(), d.ctl("--json", "shelter", "A2").json())
        check_eq(after[1], before[1], "A2 unchanged")
        check_eq([x["categories"] for x in after[0]["regions"]],
                 [x["categories"] for x in before[0]["regions"]],
                 "totals unchanged")

        # The whole country full: the national critical alert names the
        # declared beds (R1 2/6: A1 0/0, A2 2/6; R2 2/2).
        report(d, "A1", "-b", "women=4/4")
        report(d, "A2", "-b", "women=2/2", "-b", "minors=2/0")
        report(d, "B1", "-b", "women=10/10")
        alerts = [a for a in d.ctl("--json", "alerts").json()
                  if a["scope"] == "national" and a["level"] == "critical"
                  and a["category"] == "women"]
        check(alerts, "a national critical alert")
        check_eq(alerts[0]["reserve"], {
            "beds_24h": 4, "beds_72h": 8, "where": [
                {"region": "R1", "beds_24h": 2, "beds_72h": 6},
                {"region": "R2", "beds_24h": 2, "beds_72h": 2}]},
            f"the alert names the declared beds: {alerts}")

        # An activation may ask for R1's 6, not 7; A2 is asked (A1, 0/0,
        # is not) and may confirm up to its declared 6.
        tomorrow = time.strftime("%Y-%m-%d", time.gmtime(time.time() +
                                                         86400))
        activate = ["reserve", "activate", "--region", "R1", "--category",
                    "women", "--until", tomorrow, "--reason", "surge"]
        r = signed(d, sec, "national", "SHELTERCTL", *activate, "--beds",
                   "7")
        check(r.rc == 1 and "R1 has 6 reserve beds of women (2 within "
              "24 h), not 7" in r.err, f"7 refused: {r}")
        r = signed(d, sec, "national", "SHELTERCTL", "--json", *activate,
                   "--beds", "6")
        check_eq(r.rc, 0, f"6 accepted {r}")
        a = r.json()
        check_eq(a["shelters"], ["A2"], f"who is asked: {a}")
        aid = str(a["activation_id"])
        r = signed(d, sec, "shelter:A2", "SHELTER_REPORT", "reserve",
                   "confirm", aid, "--shelter", "A2", "--beds", "7")
        check(r.rc == 1 and "confirm 1 to 6" in r.err, f"7: {r}")
        r = signed(d, sec, "shelter:A2", "SHELTER_REPORT", "reserve",
                   "confirm", aid, "--shelter", "A2", "--beds", "6")
        check_eq(r.rc, 0, f"A2 confirms 6: {r}")
        b = d.ctl("--json", "shelter", "A2").json()["beds"]["women"]
        check_eq((b["capacity"], b["reserve_open"]), (8, 6),
                 f"confirmed: capacity {b}")

        # After a restart the declarations are read back from the store.
        d.stop()
        d.start()
        check_eq(reserve(d, "R1"), (2, 6), "after a restart")
        d.stop()
    finally:
        d.cleanup()


def test_reserves_export_and_import():
    d, sec = daemon()
    d.start()
    try:
        report(d, "A2", "-b", "women=2/0", "-b", "minors=2/0",
               "--reserve", "women=2/6")
        r = d.ctl("--csv", "export", "--reserves")
        check_eq(r.rc, 0, f"export {r}")
        want = ("shelter,category,beds_24h,beds_72h,source\n"
                "A1,women,1,3,registry\nB1,women,2,2,registry\n"
                "A2,women,2,6,report\n")
        check_eq(r.out, want, "the reserves in force, each with its source")
        r = d.ctl("--json", "export", "--reserves")
        check(r.rc == 2 and "use --csv" in r.err, f"CSV only {r}")
        exported = write(d, "reserves.csv", want)

        # A bad file is refused whole with its line; nothing changes.
        bad = write(d, "bad.csv", "shelter,category,beds_24h,beds_72h\n"
                    "B1,women,1,4\nA1,women,3,1\n")
        r = d.ctl("import", "--reserves", bad)
        check(r.rc == 1 and f"{bad} line 3: beds_72h (1) includes "
              "beds_24h (3): it cannot be smaller (BAD_REQUEST); nothing "
              "was changed" in r.err, f"bad line named: {r}")
        bad = write(d, "bad2.csv", "A1,women,1,3,elsewhere\n")
        r = d.ctl("import", "--reserves", bad)
        check(r.rc == 1 and "line 1: source must be registry or report, "
              "not 'elsewhere'" in r.err, f"bad source: {r}")
        check_eq(reserve(d, "R2"), (2, 2), "unchanged")
        # Operator only.
        r = signed(d, sec, "national", "SHELTERCTL", "import",
                   "--reserves", exported)
        check(r.rc == 1 and "FORBIDDEN" in r.err, f"national may not {r}")

        # The export imported back round-trips: the registry's rows are
        # kept, the declared ones stay the shelters'.
        r = d.ctl("import", "--reserves", "--dry-run", exported)
        check_eq((r.rc, r.out), (0, f"{exported}: 2 reserve rows of the "
                                 "registry (dry run: nothing changed)\n"),
                 f"dry run {r}")
        r = d.ctl("import", "--reserves", exported)
        check_eq((r.rc, r.out), (0, f"{exported}: 2 reserve rows of the "
                                 "registry\n"), f"import {r}")
        r = d.ctl("--csv", "export", "--reserves")
        check_eq(r.out, want, "round trip")
        check_eq(reserve(d, "R1"), (3, 9), "R1 the same")

        # An edited file changes the registry's reserves, also after a
        # restart; the declared row still wins over a registry row.
        edited = write(d, "edited.csv", "shelter,category,beds_24h,"
                       "beds_72h\nB1,women,1,4\nA2,women,5,5\n")
        r = d.ctl("--json", "import", "--reserves", edited)
        check_eq((r.rc, r.json()), (0, {"applied": True, "reserves": 2}),
                 f"edited {r}")
        check_eq(reserve(d, "R2"), (1, 4), "B1 1/4")
        check_eq(reserve(d, "R1"), (2, 6), "A1 gone, A2's own 2/6 wins")
        r = d.ctl("audit", "verify", "--data-dir", d.data, "--print")
        check("reserves imported" in r.out and "2 reserve rows from "
              + edited in r.out, f"audited: {r.out}")
        d.stop()
        d.start()
        check_eq(reserve(d, "R2"), (1, 4), "kept after a restart")
        r = d.ctl("--csv", "export", "--reserves")
        check_eq(r.out, "shelter,category,beds_24h,beds_72h,source\n"
                 "B1,women,1,4,registry\nA2,women,2,6,report\n",
                 "after the restart")
        # A shelters import that removes B1 takes its row with it, also
        # from the imported text read at the next start.
        r = d.ctl("import", write(d, "s.csv", SHELTERS.replace(
            "B1,Shelter B1,R2,1,women:10\n", "")))
        check_eq(r.rc, 0, f"shelters import {r}")
        check_eq(reserve(d, "R2"), (0, 0), "B1 gone")
        d.stop()
        d.start()
        check_eq(reserve(d, "R2"), (0, 0), "B1 gone after a restart")
        check_eq(reserve(d, "R1"), (2, 6), "A2's declaration stays")
        check("no longer fit" not in d.read_log(), "the text still fits")
        d.stop()
    finally:
        d.cleanup()


if __name__ == "__main__":
    main([test_declared_reserve_beds_count_everywhere,
          test_reserves_export_and_import])

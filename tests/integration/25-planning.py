"""Capacity norms and structural shortages on the real daemon
(docs/registry.md "Norms", docs/planning.md).

Norms come with the registry (norms.csv), are exported and imported like
shelters, and show in `shelterctl status` against the registered capacity.
"""
import os
import subprocess
import time

from harness import Daemon, Failure, check, check_eq, main

REGIONS = """code,name,province,seat,lat,lon,neighbours
R1,Region One,P,S1,52.0,5.0,R2
R2,Region Two,P,S2,52.1,5.1,R1
"""
SHELTERS = """id,name,region,security_level,beds
A1,Shelter A1,R1,1,women:4
A2,Shelter A2,R1,1,women:2 minors:2
B1,Shelter B1,R2,1,women:10
"""
# R1 women: 6 registered, norm 8 (short); R2 women: 10 against 8. A norm
# that begins in 2099 is not in force yet.
NORMS = """region,category,beds,valid_from
R1,women,8,2026-01-01
R2,women,8,2026-01-01
R2,women,20,2099-01-01
"""

_started = []


def daemon(config="", norms=NORMS, shelters=SHELTERS):
    d = Daemon(config="[daemon]\ntick_ms = 100\n" + config)
    _started.append(d)
    d.with_registry(REGIONS, shelters)
    if norms is not None:
        with open(os.path.join(d.registry, "norms.csv"), "w") as f:
            f.write(norms)
    return d


def write(d, name, text):
    path = os.path.join(d.tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def test_status_shows_capacity_against_norm():
    d = daemon().start()
    try:
        check_eq(d.region("R1", "women")["norm"], 8, "R1 women norm")
        check_eq(d.region("R2", "women")["norm"], 8,
                 "R2 women: the 2099 norm is not in force yet")
        check_eq(d.region("R1", "minors")["norm"], None,
                 "no norm: null")
        check_eq(d.region("R1", "women")["registered_capacity"], 6,
                 "R1 women registered")
        r = d.ctl("status")
        check_eq(r.rc, 0, f"status {r}")
        head = r.out.splitlines()[0].split()
        check_eq(head[3:6], ["REG", "NORM", "KNOWN"], "status columns")
        r1 = [l for l in r.out.splitlines()
              if l.startswith("R1 ") and " women " in l][0]
        # "R1 Region One women 6 8 ...": the name has a space.
        check_eq(r1.split()[4:6], ["6", "8"], f"R1 women REG NORM: {r1}")
        check("below-norm (2 short)" in r1, f"R1 women below norm: {r1}")
        r2 = [l for l in r.out.splitlines()
              if l.startswith("R2 ") and " women " in l][0]
        check("below-norm" not in r2, f"R2 women meets its norm: {r2}")
        m1 = [l for l in r.out.splitlines()
              if l.startswith("R1 ") and " minors " in l][0]
        check_eq(m1.split()[4:6], ["2", "-"], f"R1 minors: no norm: {m1}")
        d.stop()
    finally:
        d.cleanup()


def test_a_bad_norms_file_stops_the_start():
    for text, want in (
            ("R1,women,8,2026-01-01\nR9,women,8,2026-01-01\n",
             "norms line 2: unknown region 'R9'"),
            ("region,category,beds,valid_from\nR1,cats,8,2026-01-01\n",
             "norms line 2: unknown category 'cats'"),
            ("R1,women,-1,2026-01-01\n", "norms line 1: beds must be"),
            ("R1,women,8,2026-02-30\n",
             "norms line 1: valid_from must be a date")):
        d = daemon(norms=text)
        try:
            args = [os.environ["SHELTERD"], "--registry", d.registry,
                    "--data-dir", d.data, "--api", d.api, "--events",
                    d.events, "--http", ""]
            p = subprocess.run(args, capture_output=True, text=True,
                               timeout=20)
            check(p.returncode != 0, f"started with {text!r}")
            check(want in p.stderr, f"error names the line: {want!r} "
                  f"not in {p.stderr!r}")
        finally:
            d.cleanup()


def test_norms_export_and_import():
    d = daemon().start()
    try:
        r = d.ctl("--csv", "export", "--norms")
        check_eq(r.rc, 0, f"export --norms {r}")
        check_eq(r.out, NORMS.replace("R2,women,8", "R2,women,8"),
                 "the norms as imported, in order")
        # A bad file changes nothing and names its line.
        bad = write(d, "bad.csv", NORMS + "R1,minors,x,2026-01-01\n")
        r = d.ctl("import", "--norms", bad)
        check_eq(r.rc, 1, f"bad norms refused {r}")
        check(f"{bad} line 5: beds must be" in r.err, f"line named: {r}")
        check_eq(d.region("R1", "women")["norm"], 8, "unchanged")
        # A dry run says, and changes nothing.
        new = NORMS.replace("R1,women,8", "R1,women,5") + \
            "R1,minors,3,2026-06-01\n"
        path = write(d, "new.csv", new)
        r = d.ctl("import", "--norms", "--dry-run", path)
        check_eq(r.rc, 0, f"dry run {r}")
        check("4 norms (dry run" in r.out, f"dry run says: {r}")
        check_eq(d.region("R1", "women")["norm"], 8, "dry run: unchanged")
        r = d.ctl("--json", "import", "--norms", path)
        check_eq(r.rc, 0, f"import --norms {r}")
        check_eq(r.json(), {"applied": True, "norms": 4}, "import answer")
        check_eq(d.region("R1", "women")["norm"], 5, "new norm")
        check_eq(d.region("R1", "minors")["norm"], 3, "added norm")
        # A shelters import keeps the norms.
        r = d.ctl("import", write(d, "shelters.csv", SHELTERS +
                                  "A3,Shelter A3,R1,0,women:3\n"))
        check_eq(r.rc, 0, f"shelters import {r}")
        check_eq(d.region("R1", "women")["norm"], 5, "kept")
        check_eq(d.region("R1", "women")["registered_capacity"], 9,
                 "new shelter counted")
        check("norms imported by unsigned" in d.read_log(), "logged")
        d.stop()
        # The imported norms win over the registry's file after a restart.
        d.start()
        check_eq(d.region("R1", "women")["norm"], 5, "after restart")
        check_eq(d.region("R1", "minors")["norm"], 3, "after restart")
        r = d.ctl("--csv", "export", "--norms")
        check_eq(r.out, "region,category,beds,valid_from\n"
                 "R1,women,5,2026-01-01\nR1,minors,3,2026-06-01\n"
                 "R2,women,8,2026-01-01\nR2,women,20,2099-01-01\n",
                 "export after restart")
        d.stop()
    finally:
        d.cleanup()


TESTS = [test_status_shows_capacity_against_norm,
         test_a_bad_norms_file_stops_the_start,
         test_norms_export_and_import]

if __name__ == "__main__":
    try:
        main(TESTS)
    finally:
        for d in _started:
            d.cleanup()

"""Filling a region raises warning then critical; freeing beds clears it;
a watcher on another region hears nothing; no flapping in the band."""
from harness import Daemon, TEST_REGISTRY, check, check_eq, main


def region_events(events, region=None):
    """Occupancy events of region scope (coverage has its own tests)."""
    return [(e["level"], e["previous_level"], e["occupancy_pct"])
            for e in events if e["scope"] == "region" and
            e["kind"] == "occupancy" and
            (region is None or e["region"] == region)]


def run(fn):
    def test():
        d = Daemon(registry=TEST_REGISTRY).start()
        try:
            fn(d)
            d.stop()
        finally:
            d.cleanup()
    test.__name__ = fn.__name__
    return test


def s1(d, occupied, **kw):
    r = d.report("-s", "S1", "-b", f"women=10/{occupied}")
    check_eq(r.rc, 0, f"S1 report {r}")


def s2(d, occupied):
    r = d.report("-s", "S2", "-b", f"women=10/{occupied}", "-b", "minors=4/0")
    check_eq(r.rc, 0, f"S2 report {r}")


@run
def test_warning_critical_cleared(d):
    # R2 has room, so the nation never runs out in this test.
    check_eq(d.report("-s", "S3", "-b", "women=5/0").rc, 0, "S3")
    r1 = d.watch("--region", "R1", "--wait", "8")
    r1_critical = d.watch("--region", "R1", "--level", "critical",
                          "--count", "1", "--wait", "8")
    r2 = d.watch("--region", "R2", "--wait", "5")
    everything = d.watch("--wait", "8")
    s1(d, 9)
    s2(d, 9)       # 18/20 = 90 %: warning
    check_eq(d.region("R1", "women")["level"], "warning", "level")
    s2(d, 10)      # 95 %: still warning; S2 women full
    s1(d, 10)      # 100 %: critical; S1 women full
    check_eq(d.region("R1", "women")["level"], "critical", "level")
    rc, crit = r1_critical.finish()
    check_eq(rc, 0, "--count 1 --level critical reached")
    check_eq([(e["level"], e["region"], e["category"]) for e in crit],
             [("critical", "R1", "women")], "critical watcher")
    s1(d, 5)       # 75 %: cleared
    check_eq(d.region("R1", "women")["level"], "ok", "level")

    events = r1.stop()
    check_eq(region_events(events), [("warning", "cleared", 90),
                                     ("critical", "warning", 100),
                                     ("cleared", "critical", 75)],
             "R1 region events")
    shelter = [(e["shelter"], e["level"]) for e in events
               if e["scope"] == "shelter"]
    check_eq(shelter, [("S2", "warning"), ("S1", "warning"),
                       ("S1", "cleared")], "shelter full events")
    # R1's own are increasing; with the national ones (coverage as S1
    # reports) they are gap-free.
    seqs = [e["event_seq"] for e in events]
    check_eq(seqs, sorted(set(seqs)), "R1's event_seq increasing")
    seqs = [e["event_seq"] for e in everything.stop()]
    check(set([e["event_seq"] for e in events]) <= set(seqs), "all in")
    check_eq(seqs, list(range(seqs[0], seqs[0] + len(seqs))),
             "event_seq is gap-free and increasing")
    other = r2.stop()
    check_eq(other, [], "watcher on R2 receives nothing")


@run
def test_no_flapping_inside_the_band(d):
    check_eq(d.report("-s", "S3", "-b", "women=5/0").rc, 0, "S3")
    s1(d, 0)
    s2(d, 9)       # 45 %
    w = d.watch("--region", "R1", "--wait", "5")
    s1(d, 9)       # 90 %: warning
    for occ in (8, 9, 8, 9, 8):  # 85 % and 90 %: inside the band
        s1(d, occ)
    s1(d, 7)       # 80 %: cleared
    events = w.stop()
    check_eq(region_events(events), [("warning", "cleared", 90),
                                     ("cleared", "warning", 80)],
             "exactly one raise and one clear")


@run
def test_critical_steps_down_to_warning(d):
    check_eq(d.report("-s", "S3", "-b", "women=5/0").rc, 0, "S3")
    s2(d, 10)
    s1(d, 10)      # critical
    w = d.watch("--region", "R1", "--wait", "5")
    s1(d, 9)       # 95 %: inside the critical band, stays critical
    s1(d, 8)       # 90 %: below 95, warning
    events = w.stop()
    check_eq(region_events(events), [("warning", "critical", 90)],
             "critical -> warning")


@run
def test_national_shortage(d):
    nat = d.watch("--level", "critical", "--wait", "8")
    s1(d, 10)
    s2(d, 10)      # R1 full, R2 not reported: the nation has no women bed
    check_eq(d.report("-s", "S3", "-b", "women=5/5").rc, 0, "S3 full")
    check_eq(d.status()["national"]["women"]["level"], "critical",
             "national level")
    check_eq(d.report("-s", "S3", "-b", "women=5/4").rc, 0, "S3 frees one")
    check_eq(d.status()["national"]["women"]["level"], "ok", "cleared")
    events = nat.stop()
    national = [e for e in events if e["scope"] == "national"]
    check_eq([(e["level"], e["category"], e["free"]) for e in national],
             [("critical", "women", 0)], "national critical event")
    check_eq(national[0]["region"], None, "national event has no region")


@run
def test_closing_the_only_shelter_is_critical(d):
    check_eq(d.report("-s", "S4", "-b", "men=6/1", "-b", "highsec=2/0").rc,
             0, "S4 open")
    w = d.watch("--region", "R3", "--wait", "5")
    check_eq(d.report("-s", "S4", "-b", "men=6/1", "-b", "highsec=2/0",
                      "--status", "closed").rc, 0, "S4 closed")
    events = w.stop()
    got = sorted((e["category"], e["level"]) for e in events
                 if e["scope"] == "region")
    check_eq(got, [("highsec", "critical"), ("men", "critical")],
             "closed shelter: no free bed in R3")


if __name__ == "__main__":
    main([test_warning_critical_cleared, test_no_flapping_inside_the_band,
          test_critical_steps_down_to_warning, test_national_shortage,
          test_closing_the_only_shelter_is_critical])

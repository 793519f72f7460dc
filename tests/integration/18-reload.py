"""SIGHUP applies every key that shelterd.conf.example says it applies:
one case per key, each seeing the daemon behave by the old value, then
by the new one after the reload, without a restart."""
import datetime
import json
import os
import signal
import socket
import time
import urllib.request

from harness import (Daemon, Failure, TEST_REGISTRY, check, check_eq, main)

FAST = "[daemon]\ntick_ms = 100\n"
TOKEN = "reload-test-token-5e2b9c41d7a0"


def daemon(conf):
    return Daemon(registry=TEST_REGISTRY, config=FAST + conf).start()


def reload(d, conf):
    """Write the new config file, SIGHUP, and wait for the reload line."""
    before = d.read_log().count("configuration reloaded")
    with open(os.path.join(d.tmp, "shelterd.conf"), "w") as f:
        f.write("[security]\nallow_unsigned = 1\n" + FAST + conf)
    d.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if d.read_log().count("configuration reloaded") > before:
            return
        time.sleep(0.05)
    raise Failure(f"no reload logged:\n{d.read_log()[-2000:]}")


def eventually(what, fn, secs=5.0):
    deadline = time.monotonic() + secs
    while True:
        got = fn()
        if got:
            return got
        if time.monotonic() > deadline:
            raise Failure(f"{what}: not within {secs} s")
        time.sleep(0.1)


def report(d, *args, rc=0):
    r = d.report("--no-outbox", *args)
    check_eq(r.rc, rc, f"shelter-report {args} {r}")
    return r


def events(d):
    r = d.run("COORD_WATCH", "--json", "--since", "0", "--wait", "1")
    check_eq(r.rc, 0, f"coord-watch {r}")
    return [json.loads(l) for l in r.out.splitlines() if l.strip()]


def case(fn):
    def test():
        d = None
        try:
            d = fn()
            d.stop()
        finally:
            if d is not None:
                d.cleanup()
    test.__name__ = fn.__name__
    return test


@case
def test_region_warning_pct():
    d = daemon("[escalation]\nregion_warning_pct = 90\n")
    report(d, "-s", "S1", "-b", "women=10/6")
    report(d, "-s", "S2", "-b", "women=10/6", "-b", "minors=4/0")
    check_eq(d.region("R1", "women")["level"], "ok", "60 % under 90")
    reload(d, "[escalation]\nregion_warning_pct = 50\n")
    check_eq(d.region("R1", "women")["level"], "warning", "60 % over 50")
    return d


@case
def test_region_critical_pct():
    d = daemon("[escalation]\nregion_warning_pct = 70\n")
    report(d, "-s", "S1", "-b", "women=10/8")
    report(d, "-s", "S2", "-b", "women=10/8", "-b", "minors=4/0")
    check_eq(d.region("R1", "women")["level"], "warning", "80 % of 100")
    reload(d, "[escalation]\nregion_warning_pct = 70\n"
           "region_critical_pct = 80\n")
    check_eq(d.region("R1", "women")["level"], "critical", "80 % of 80")
    return d


@case
def test_hysteresis_pct():
    conf = "[escalation]\nregion_warning_pct = 80\nhysteresis_pct = %d\n"
    d = daemon(conf % 10)
    report(d, "-s", "S1", "-b", "women=10/9")
    report(d, "-s", "S2", "-b", "women=10/9", "-b", "minors=4/0")
    check_eq(d.region("R1", "women")["level"], "warning", "90 %")
    report(d, "-s", "S1", "-b", "women=10/6")
    check_eq(d.region("R1", "women")["level"], "warning",
             "75 % is not 10 points under 80")
    reload(d, conf % 2)
    check_eq(d.region("R1", "women")["level"], "ok",
             "75 % is 2 points under 80")
    return d


def shelter_level(d, sid, cat):
    levels = [e["level"] for e in events(d) if e["scope"] == "shelter" and
              e.get("shelter") == sid and e["category"] == cat]
    return levels[-1] if levels else "ok"


@case
def test_shelter_clear_free():
    conf = "[escalation]\nshelter_clear_free = %d\n"
    d = daemon(conf % 3)
    report(d, "-s", "S3", "-b", "women=5/5")
    check_eq(shelter_level(d, "S3", "women"), "warning", "S3 full")
    # A shelter's own level is decided at its reports (region and national
    # ones at once, from the stored counts): the same report again.
    for _ in range(2):
        report(d, "-s", "S3", "-b", "women=5/3")
        check_eq(shelter_level(d, "S3", "women"), "warning",
                 "2 free are not 3")
    reload(d, conf % 1)
    report(d, "-s", "S3", "-b", "women=5/3")
    check_eq(shelter_level(d, "S3", "women"), "cleared", "2 free are 1")
    return d


@case
def test_national_clear_free():
    conf = "[escalation]\nnational_clear_free = %d\n"
    d = daemon(conf % 3)
    report(d, "-s", "S4", "-b", "men=6/6", "-b", "highsec=2/0")
    check_eq(d.status()["national"]["men"]["level"], "critical",
             "no free men's bed in the country")
    report(d, "-s", "S4", "-b", "men=6/4", "-b", "highsec=2/0")
    check_eq(d.status()["national"]["men"]["level"], "critical",
             "2 free are not 3")
    reload(d, conf % 1)
    check(d.status()["national"]["men"]["level"] != "critical",
          "2 free are 1: cleared")
    return d


@case
def test_early_warning_pct():
    d = daemon("[escalation]\nearly_warning_pct = 0\n")
    report(d, "-s", "S3", "-b", "women=5/4", "--expect", "women=0")
    check_eq(d.region("R2", "women")["early_warning"], "ok", "off")
    reload(d, "[escalation]\nearly_warning_pct = 80\n")
    check_eq(d.region("R2", "women")["early_warning"], "warning",
             "80 % with nothing expected free")
    return d


@case
def test_max_beds():
    d = daemon("[validation]\nmax_beds = 5\n")
    r = report(d, "-s", "S1", "-b", "women=10/1", rc=1)
    check("max_beds" in r.err or "implausible" in r.err or "5" in r.err,
          r.err)
    reload(d, "[validation]\nmax_beds = 10\n")
    report(d, "-s", "S1", "-b", "women=10/1")
    return d


@case
def test_max_future_secs():
    d = daemon("[validation]\nmax_future_secs = 0\n")
    ahead = str(int(time.time()) + 120)
    report(d, "-s", "S1", "-b", "women=10/1", "--observed-at", ahead,
           rc=1)
    reload(d, "[validation]\nmax_future_secs = 300\n")
    report(d, "-s", "S1", "-b", "women=10/1", "--observed-at", ahead)
    return d


def dashboard_deadline(d, sid):
    """deadline_secs of a shelter in the dashboard's JSON."""
    req = urllib.request.Request(d.http + "/api/shelters?region=R2")
    req.add_header("Authorization", "Bearer " + TOKEN)
    with urllib.request.urlopen(req, timeout=10) as r:
        body = json.loads(r.read())
    return [s["deadline_secs"] for s in body["shelters"]
            if s["shelter"] == sid][0]


@case
def test_deadline_secs():
    conf = "[http]\ntoken = %s\n[reporting]\ndeadline_secs = %%d\n" % TOKEN
    d = Daemon(registry=TEST_REGISTRY, config=FAST + conf % 3600)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        d.http = "http://127.0.0.1:%d" % sock.getsockname()[1]
    d.start()
    report(d, "-s", "S3", "-b", "women=5/1")
    time.sleep(1.5)
    check_eq(d.ctl("--json", "shelter", "S3").json()["stale"], False,
             "1.5 s of silence is within an hour")
    check_eq(dashboard_deadline(d, "S3"), 3600, "the dashboard says so")
    reload(d, conf % 1)
    eventually("S3 stale after 1 s", lambda: d.ctl(
        "--json", "shelter", "S3").json()["stale"])
    check_eq(dashboard_deadline(d, "S3"), 1, "the dashboard follows")
    return d


@case
def test_max_seq_ahead_secs():
    d = daemon("[reporting]\nmax_seq_ahead_secs = 3600\n")
    seq = str((int(time.time()) + 7200) * 1000000)
    r = report(d, "-s", "S1", "-b", "women=10/1", "--seq", seq, rc=1)
    check("max_seq_ahead_secs" in r.err, r.err)
    reload(d, "[reporting]\nmax_seq_ahead_secs = 86400\n")
    report(d, "-s", "S1", "-b", "women=10/1", "--seq", seq)
    return d


def hold_ttl(d, rid):
    r = d.run("REGION_PLACE", "request", "-r", "R1", "-c", "women", "-C",
              "VR01-2026-" + rid[-4:], "-i", rid, "--no-wait", "--json")
    check_eq(r.rc, 0, f"placement {r}")
    p = r.json()
    check_eq(p["state"], "held", f"held {p}")
    expires = datetime.datetime.fromisoformat(
        p["hold_expires_at"].replace("Z", "+00:00")).timestamp()
    return expires - time.time()


@case
def test_hold_ttl_secs():
    d = daemon("[placement]\nhold_ttl_secs = 3600\n")
    report(d, "-s", "S3", "-b", "women=5/0")
    ttl = hold_ttl(d, "req-0001")
    check(3590 < ttl <= 3600, f"a hold waits an hour: {ttl}")
    reload(d, "[placement]\nhold_ttl_secs = 60\n")
    ttl = hold_ttl(d, "req-0002")
    check(50 < ttl <= 60, f"a hold made after the reload: 60 s, {ttl}")
    return d


def alert_steps(d):
    return [a["step"] for a in d.ctl("--json", "alerts").json()
            if a["scope"] == "region" and a["kind"] == "occupancy"]


@case
def test_reescalate_secs():
    d = daemon("[alerts]\nreescalate_secs = 3600\n")
    report(d, "-s", "S3", "-b", "women=5/5")
    time.sleep(1.5)
    check_eq(alert_steps(d), [0], "not published again within the hour")
    reload(d, "[alerts]\nreescalate_secs = 1\n")
    eventually("published again after 1 s",
               lambda: alert_steps(d) and alert_steps(d)[0] >= 1)
    return d


def purged(d):
    """The entries the history purge deleted and blanked, per log line."""
    out = []
    for line in d.read_log().splitlines():
        if "history retention:" in line:
            words = line.split("history retention: ")[1].split()
            out.append((int(words[0]), int(words[4])))
    return out


HIST = "[history]\npurge_interval_secs = 1\n"


@case
def test_sample_retention_secs():
    d = daemon(HIST)
    for occ in (1, 2, 3):
        report(d, "-s", "S3", "-b", f"women=5/{occ}")
    time.sleep(2.5)
    check_eq(purged(d), [], "kept for 400 days")
    reload(d, HIST + "sample_retention_secs = 1\n")
    eventually("samples older than 1 s deleted", lambda: purged(d))
    return d


@case
def test_purge_interval_secs():
    conf = "[history]\nsample_retention_secs = 1\npurge_interval_secs = %d\n"
    d = daemon(conf % 86400)
    time.sleep(0.5)  # the first purge, at start: nothing to do yet
    for occ in (1, 2, 3):
        report(d, "-s", "S3", "-b", f"women=5/{occ}")
    time.sleep(2.5)
    check_eq(purged(d), [], "the next purge is a day away")
    reload(d, conf % 1)
    eventually("purged within a second of the reload", lambda: purged(d))
    return d


@case
def test_purge_batch():
    conf = HIST + "sample_retention_secs = 1\npurge_batch = %d\n"
    d = daemon(conf % 1)
    for occ in (1, 2, 3):
        report(d, "-s", "S3", "-b", f"women=5/{occ}")
    eventually("one per purge", lambda: purged(d))
    check(all(n == 1 for n, _ in purged(d)), f"1 a txn: {purged(d)}")
    reload(d, conf % 1000)
    seen = len(purged(d))
    for occ in (1, 2, 3, 4):
        report(d, "-s", "S3", "-b", f"women=5/{occ}")
    eventually("all in one purge", lambda: any(
        n >= 4 for n, _ in purged(d)[seen:]))
    return d


def placement_done(d, rid):
    """A placement accepted by S3 (the only shelter with room)."""
    r = d.run("REGION_PLACE", "request", "-r", "R1", "-c", "women", "-C",
              "VR01-2026-" + rid[-4:], "-i", rid, "--no-wait", "--json")
    check_eq(r.rc, 0, f"placement {r}")
    r = d.report("accept", "--shelter", "S3", rid)
    check_eq(r.rc, 0, f"accept {r}")


@case
def test_placement_retention_secs():
    d = daemon(HIST)
    report(d, "-s", "S3", "-b", "women=5/0")
    placement_done(d, "req-0001")
    time.sleep(2.5)
    check_eq(purged(d), [], "kept for 400 days")
    reload(d, HIST + "placement_retention_secs = 1\n")
    eventually("the placement deleted", lambda: any(
        n > 0 for n, _ in purged(d)))
    return d


@case
def test_case_ref_retention_secs():
    d = daemon(HIST)
    report(d, "-s", "S3", "-b", "women=5/0")
    placement_done(d, "req-0001")
    time.sleep(2.5)
    check_eq(purged(d), [], "case_ref kept for 30 days")
    reload(d, HIST + "case_ref_retention_secs = 1\n")
    eventually("the case_ref blanked", lambda: any(
        b > 0 for _, b in purged(d)))
    return d


@case
def test_k_anonymity():
    d = daemon("[history]\nk_anonymity = 1000\n")
    report(d, "-s", "S3", "-b", "women=5/2")
    month = time.strftime("%Y-%m", time.gmtime())
    hidden = d.ctl("report", "--month", month, "--public")
    check_eq(hidden.rc, 0, f"report {hidden}")
    reload(d, "[history]\nk_anonymity = 1\n")
    shown = d.ctl("report", "--month", month, "--public")
    check_eq(shown.rc, 0, f"report {shown}")
    check(shown.out != hidden.out, f"k 1000:\n{hidden.out}\nk 1:\n"
          f"{shown.out}")
    check("1000" in hidden.out and "1000" not in shown.out,
          f"the report names its k:\n{hidden.out}\n{shown.out}")
    return d


if __name__ == "__main__":
    main([test_region_warning_pct, test_region_critical_pct,
          test_hysteresis_pct, test_shelter_clear_free,
          test_national_clear_free, test_early_warning_pct, test_max_beds,
          test_max_future_secs, test_deadline_secs, test_max_seq_ahead_secs,
          test_hold_ttl_secs, test_reescalate_secs,
          test_sample_retention_secs, test_purge_interval_secs,
          test_purge_batch, test_placement_retention_secs,
          test_case_ref_retention_secs, test_k_anonymity])

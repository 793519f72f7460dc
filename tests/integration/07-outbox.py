"""Offline shelters: shelter-report keeps what it cannot deliver in a local
outbox and delivers it, in order, with `flush` or before the next report."""
import json
import os
import time
import stat
import subprocess

from harness import (BIN, Daemon, PinnedReader, check, check_eq, encode,
                     main, raw_request)

QUEUED = 4  # shelter-report's "queued: not yet delivered"


def offline(fn):
    """A daemon that is not started yet, with its own outbox."""
    def run():
        d = Daemon()
        d.outbox = os.path.join(d.tmp, "outbox")
        d.env["SHELTERD_OUTBOX"] = d.outbox
        try:
            fn(d)
            if d.alive():
                d.stop()
        finally:
            d.cleanup()
    run.__name__ = fn.__name__
    return run


def queued_lines(d):
    """The reports in the outbox file (hex lines), oldest first."""
    if not os.path.exists(d.outbox):
        return []
    with open(d.outbox) as f:
        return [l for l in f.read().splitlines()
                if l and not l.startswith("#")]


def queue(d, *args):
    r = d.report(*args)
    check_eq(r.rc, QUEUED, f"report while the daemon is down {r}")
    check("cannot reach shelterd" in r.err and "queued" in r.err, r.err)
    return r


def rejected_files(d):
    """The files of outbox.rejected/, sorted by name."""
    path = d.outbox + ".rejected"
    if not os.path.isdir(path):
        return []
    return sorted(os.path.join(path, f) for f in os.listdir(path)
                  if f.endswith(".txt"))


def keys(d):
    """Ed25519 keys for the demo registry: (registry dir, keys dir)."""
    out = os.path.join(d.tmp, "sec")
    subprocess.run([os.environ["KEYGEN"], "--registry",
                    os.path.join(os.environ["SOURCE_ROOT"], "registry",
                                 "demo"), "--out", out],
                   check=True, capture_output=True, timeout=60)
    return os.path.join(out, "registry"), os.path.join(out, "keys")


def shelter(d, sid):
    r = d.ctl("--json", "shelter", sid)
    check_eq(r.rc, 0, f"shelterctl shelter {sid} {r}")
    return r.json()


def shelter_events(d, sid):
    """The levels of the logged shelter-scope events of sid, in order."""
    r = d.run("COORD_WATCH", "--json", "--since", "0", "--wait", "1")
    check_eq(r.rc, 0, f"coord-watch --since 0 {r}")
    events = [json.loads(l) for l in r.out.splitlines() if l.strip()]
    return [e["level"] for e in events
            if e["scope"] == "shelter" and e.get("shelter") == sid]


@offline
def test_three_reports_offline_one_flush(d):
    # Full, then one free, then full again (one bed out of service): each
    # step changes the shelter's level, so the event log shows whether
    # all three were applied and in which order.
    counts = ["women=4/4", "women=4/1", "women=4/3/1"]
    for i, beds in enumerate(counts, 1):
        r = queue(d, "-s", "SH-UT-003", "-b", beds, "--seq", str(i))
        want = "1 report waits" if i == 1 else f"{i} reports wait"
        check(want in r.err, f"{want!r} in {r.err!r}")
        check("shelter-report flush" in r.err, r.err)
    check_eq(len(queued_lines(d)), 3, "three reports in the outbox")

    d.start()
    r = d.report("flush")
    check_eq(r.rc, 0, f"flush {r}")
    check("3 delivered, 0 rejected" in r.out, r.out)
    seqs = [l.split(":")[0] for l in r.out.splitlines() if "seq" in l]
    check_eq(seqs, ["SH-UT-003 seq 1", "SH-UT-003 seq 2",
                    "SH-UT-003 seq 3"], "delivered oldest first")
    sh = shelter(d, "SH-UT-003")
    check_eq(sh["last_seq"], 3, "the snapshot holds the last report")
    check_eq(sh["beds"]["women"], {"capacity": 4, "occupied": 3,
                                   "out_of_service": 1, "held": 0,
                                   "free": 0, "reserve_open": 0,
                                   "level": "warning"},
             "its counts")
    log = d.read_log()
    check("refused" not in log and "STALE_SEQ" not in log,
          f"nothing refused as stale:\n{log}")
    check_eq(shelter_events(d, "SH-UT-003"),
             ["warning", "cleared", "warning"], "applied in order")
    check(not os.path.exists(d.outbox), "an empty outbox is removed")

    r = d.report("flush")
    check_eq(r.rc, 0, f"second flush {r}")
    check("empty" in r.out and "nothing to deliver" in r.out, r.out)


@offline
def test_stale_queued_report_is_rejected_and_kept(d):
    queue(d, "-s", "SH-UT-003", "-b", "women=4/2", "--seq", "5")
    d.start()
    # Something newer reaches the daemon without going through the
    # outbox (--no-outbox neither delivers nor queues).
    r = d.report("-s", "SH-UT-003", "-b", "women=4/0", "--seq", "9",
                 "--no-outbox")
    check_eq(r.rc, 0, f"newer report {r}")
    check_eq(len(queued_lines(d)), 1, "--no-outbox left the queue alone")
    r = d.report("flush")
    check_eq(r.rc, 1, f"flush with a stale report {r}")
    check("rejected queued report SH-UT-003 seq 5" in r.err and
          "STALE_SEQ" in r.err and "outbox.rejected/" in r.err, r.err)
    check("0 delivered, 1 rejected" in r.out, r.out)
    check_eq(queued_lines(d), [], "a refused report leaves the queue")
    # ...but not the disk: it is kept with the daemon's reply.
    kept = rejected_files(d)
    check_eq([os.path.basename(f) for f in kept], ["SH-UT-003-5.txt"],
             "kept in outbox.rejected/")
    with open(kept[0]) as f:
        text = f.read()
    for want in ("shelter: SH-UT-003\n", "seq: 5\n", "code: STALE_SEQ\n",
                 "error: seq 5 is older than the last applied seq 9",
                 "\nreport: "):
        check(want in text, f"{want!r} in the rejected file:\n{text}")
    r = d.report("outbox")
    check_eq(r.rc, 0, f"outbox {r}")
    check("waiting: none" in r.out and "rejected: 1 in" in r.out and
          "SH-UT-003 seq 5" in r.out and "(STALE_SEQ)" in r.out, r.out)
    sh = shelter(d, "SH-UT-003")
    check_eq((sh["last_seq"], sh["beds"]["women"]["occupied"]), (9, 0),
             "the newer report stands")

    # The same in a normal run: its own report is stored, but the run
    # says that a queued one was lost.
    d.stop()
    queue(d, "-s", "SH-UT-003", "-b", "women=4/4", "--seq", "7")
    d.start()
    r = d.report("-s", "SH-UT-009", "-b", "women=4/1", "--seq", "1")
    check_eq(r.rc, 1, f"report with a stale one queued {r}")
    check("SH-UT-009 seq 1: stored" in r.out, r.out)
    check("rejected queued report SH-UT-003 seq 7" in r.err and
          "STALE_SEQ" in r.err, r.err)
    check_eq(queued_lines(d), [], "outbox after the run")
    check_eq(len(rejected_files(d)), 2, "both refused reports kept")


@offline
def test_unauthenticated_keeps_the_queue(d):
    # The shelter's key is not in the daemon's registry yet (a new key,
    # rotation): UNAUTHENTICATED is the daemon's state, not the report's,
    # so nothing leaves the outbox, and the reason is shown.
    registry, keydir = keys(d)
    key = os.path.join(keydir, "shelter-SH-UT-003.key")
    queue(d, "-s", "SH-UT-003", "-b", "women=4/2", "--seq", "5",
          "--key", key)
    queue(d, "-s", "SH-UT-003", "-b", "women=4/3", "--seq", "6",
          "--key", key)
    d.start()
    r = d.report("flush", "--key", key)
    check_eq(r.rc, QUEUED, f"flush refused as UNAUTHENTICATED {r}")
    check("UNAUTHENTICATED" in r.err and "unknown signer" in r.err and
          "stays queued" in r.err, r.err)
    check("0 delivered, 0 rejected; 2 reports wait" in r.err, r.err)
    check_eq(len(queued_lines(d)), 2, "both still queued")
    check_eq(rejected_files(d), [], "nothing rejected")
    # A fresh report refused the same way is queued behind them, in order.
    r = d.report("-s", "SH-UT-003", "-b", "women=4/4", "--seq", "7",
                 "--key", key)
    check_eq(r.rc, QUEUED, f"fresh report {r}")
    check("UNAUTHENTICATED" in r.err and "3 reports wait" in r.err, r.err)
    r = d.report("outbox")
    check_eq(r.rc, 0, f"outbox {r}")
    check("waiting: 3 in" in r.out and "rejected: none" in r.out, r.out)
    # " seq ", not "seq": the temp dir's random name may hold "seq".
    check_eq([l.split(",")[0].strip() for l in r.out.splitlines()
              if " seq " in l], ["SH-UT-003 seq 5", "SH-UT-003 seq 6",
                               "SH-UT-003 seq 7"], "listed oldest first")
    # Once the daemon knows the key, all three are stored, in order.
    d.stop()
    d.registry = registry
    d.start()
    r = d.report("flush", "--key", key)
    check_eq(r.rc, 0, f"flush with the key known {r}")
    check("3 delivered, 0 rejected" in r.out, r.out)
    sh = shelter(d, "SH-UT-003")
    check_eq((sh["last_seq"], sh["beds"]["women"]["occupied"]), (7, 4),
             "all three applied")


@offline
def test_forbidden_keeps_the_queue(d):
    # Signed with another shelter's key: FORBIDDEN is the set-up's fault
    # (the wrong key file), so the report waits for the right key.
    registry, keydir = keys(d)
    d.registry = registry
    d.start()
    wrong = os.path.join(keydir, "shelter-SH-UT-009.key")
    r = d.report("-s", "SH-UT-003", "-b", "women=4/2", "--seq", "5",
                 "--key", wrong)
    check_eq(r.rc, QUEUED, f"refused as FORBIDDEN {r}")
    check("FORBIDDEN" in r.err and "1 report waits" in r.err, r.err)
    r = d.report("flush", "--key", wrong)
    check_eq(r.rc, QUEUED, f"flush with the wrong key {r}")
    check("FORBIDDEN" in r.err and "stays queued" in r.err, r.err)
    check_eq(len(queued_lines(d)), 1, "still queued")
    r = d.report("flush", "--key",
                 os.path.join(keydir, "shelter-SH-UT-003.key"))
    check_eq(r.rc, 0, f"flush with the right key {r}")
    check_eq(shelter(d, "SH-UT-003")["last_seq"], 5, "stored")


@offline
def test_store_full_keeps_a_fresh_report(d):
    # The map full: the daemon cannot store, so the shelter's report is
    # kept (not "refused") and goes once the operator has made room.
    d.config = "[daemon]\nmap_size_mb = 1\n"
    d.start()
    # Pinned: no page freed from here on is reused, so once a batch meets
    # a full map the single report below surely does too.
    pin = PinnedReader(d.data)
    now = int(time.time())
    for first in range(1, 40 * 500, 500):  # ~4 events per update
        ups = " ".join(
            'updates { shelter_id: "SH-UT-009" seq: %d observed_at: %d '
            'status: SHELTER_STATUS_OPEN beds { category: '
            'CATEGORY_ADULT_WOMEN capacity: 4 occupied: %d } }'
            % (first + i, now, 4 * (i % 2)) for i in range(500))
        if "CODE_STORE_FULL" in raw_request(d, encode("batch { %s }" % ups)):
            break
    else:
        check(False, "the 1 MiB map filled up")
    seq = 3
    r = d.report("-s", "SH-UT-003", "-b", "women=4/1", "--seq", str(seq))
    check_eq(r.rc, QUEUED, f"report into a full store {r}")
    check("STORE_FULL" in r.err and "1 report waits" in r.err, r.err)
    check_eq(len(queued_lines(d)), 1, "queued")
    pin.close()
    d.stop()
    d.config = "[daemon]\nmap_size_mb = 64\n"
    d.start()
    r = d.report("flush")
    check_eq(r.rc, 0, f"flush after the map grew {r}")
    check_eq(shelter(d, "SH-UT-003")["last_seq"], seq, "stored")


@offline
def test_next_report_delivers_the_queue_first(d):
    # A gateway PC: one outbox, several shelters, kept in order.
    queue(d, "-s", "SH-UT-009", "-b", "women=4/1", "--seq", "5")
    queue(d, "-s", "SH-UT-003", "-b", "women=4/2", "--seq", "5")
    r = queue(d, "-s", "SH-UT-003", "-b", "women=4/2", "--seq", "5")
    check("already queued" in r.err and "2 reports wait" in r.err,
          f"the same report twice is queued once: {r.err!r}")
    # Also when the clock ticked between the two runs.
    later = str(int(time.time()) + 7)
    r = queue(d, "-s", "SH-UT-003", "-b", "women=4/2", "--seq", "5",
              "--observed-at", later)
    check("already queued" in r.err and "2 reports wait" in r.err,
          f"observed a few seconds later, still once: {r.err!r}")
    d.start()
    r = d.report("-s", "SH-UT-003", "-b", "women=4/3", "--seq", "6")
    check_eq(r.rc, 0, f"the next report {r}")
    lines = r.out.splitlines()
    check_eq(len(lines), 3, f"two queued, then its own: {r.out!r}")
    check(lines[0].startswith("SH-UT-009 seq 5: stored (from the outbox"),
          lines[0])
    check(lines[1].startswith("SH-UT-003 seq 5: stored (from the outbox"),
          lines[1])
    check_eq(lines[2], "SH-UT-003 seq 6: stored", "its own report last")
    check_eq(shelter(d, "SH-UT-009")["last_seq"], 5, "SH-UT-009")
    sh = shelter(d, "SH-UT-003")
    check_eq((sh["last_seq"], sh["beds"]["women"]["occupied"]), (6, 3),
             "SH-UT-003 holds the newest")
    check(not os.path.exists(d.outbox), "outbox delivered and removed")
    check("refused" not in d.read_log(), d.read_log())


@offline
def test_leftover_temp_file_is_ignored(d):
    queue(d, "-s", "SH-UT-003", "-b", "women=4/1", "--seq", "1")
    queue(d, "-s", "SH-UT-003", "-b", "women=4/2", "--seq", "2")
    with open(d.outbox) as f:
        whole = f.read()
    # A run that crashed while rewriting the outbox: its temp file holds
    # the queue and half of a new line; the outbox itself is intact.
    tmp = d.outbox + ".tmp"
    with open(tmp, "w") as f:
        f.write(whole + queued_lines(d)[0][:17])
    r = queue(d, "-s", "SH-UT-003", "-b", "women=4/3", "--seq", "3")
    check("3 reports wait" in r.err, f"temp file not counted: {r.err!r}")
    check(not os.path.exists(tmp), "the next save replaced the temp file")
    check_eq(len(queued_lines(d)), 3, "outbox")

    with open(tmp, "w") as f:
        f.write("0a0953482d55")  # another crash, before any newline
    d.start()
    r = d.report("flush")
    check_eq(r.rc, 0, f"flush {r}")
    check("3 delivered, 0 rejected" in r.out, r.out)
    check(not os.path.exists(tmp), "an emptied outbox leaves no temp file")
    check(not os.path.exists(d.outbox + ".damaged"), "nothing damaged")
    check_eq(shelter(d, "SH-UT-003")["last_seq"], 3, "last seq")


@offline
def test_damaged_lines_are_set_aside(d):
    queue(d, "-s", "SH-UT-003", "-b", "women=4/1", "--seq", "1")
    good = queued_lines(d)[0]
    with open(d.outbox, "a") as f:
        f.write("not a report\n" + good[:-4])  # and a cut-off last line
    d.start()
    r = d.report("flush")
    check_eq(r.rc, 0, f"flush {r}")
    check("2 line(s)" in r.err and ".damaged" in r.err, r.err)
    check("1 delivered" in r.out, r.out)
    with open(d.outbox + ".damaged") as f:
        check_eq(f.read(), "not a report\n" + good[:-4] + "\n",
                 "the damaged lines are kept, not lost")
    check_eq(shelter(d, "SH-UT-003")["last_seq"], 1, "the good one")


@offline
def test_concurrent_runs_lose_nothing(d):
    procs = [subprocess.Popen(
        [BIN["SHELTER_REPORT"], "-s", "SH-UT-003", "-b", f"women=4/{i % 5}",
         "--seq", str(i)], env=d.env, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True) for i in range(1, 9)]
    for p in procs:
        _, err = p.communicate(timeout=30)
        check_eq(p.returncode, QUEUED, f"concurrent report: {err!r}")
    check_eq(len(queued_lines(d)), 8, "every report queued")
    d.start()
    r = d.report("flush")
    check(r.rc in (0, 1), f"flush {r}")  # out of order ones are stale
    check("the outbox is empty" in r.out, r.out)
    check_eq(shelter(d, "SH-UT-003")["last_seq"], 8, "the newest stands")


@offline
def test_where_the_outbox_is(d):
    r = d.report("-s", "SH-UT-003", "-b", "women=4/1", "--no-outbox")
    check_eq(r.rc, 3, f"--no-outbox keeps the old behaviour {r}")
    check("cannot reach shelterd" in r.err and "not queued" in r.err,
          r.err)
    check(not os.path.exists(d.outbox), "--no-outbox queues nothing")

    def run(env, *args):
        return subprocess.run([BIN["SHELTER_REPORT"], *args], env=env,
                              capture_output=True, text=True, timeout=20)
    base = {k: v for k, v in d.env.items() if k not in
            ("SHELTERD_OUTBOX", "XDG_STATE_HOME", "HOME")}
    state = os.path.join(d.tmp, "state")
    home = os.path.join(d.tmp, "home")
    p = run(dict(base, XDG_STATE_HOME=state, HOME=home),
            "-s", "SH-UT-003", "-b", "women=4/1")
    check_eq(p.returncode, QUEUED, f"XDG_STATE_HOME {p.stderr}")
    xdg = os.path.join(state, "shelterd", "outbox")
    check(os.path.exists(xdg), "outbox under $XDG_STATE_HOME")
    for path in (state, os.path.dirname(xdg)):
        mode = stat.S_IMODE(os.stat(path).st_mode)
        check_eq(mode, 0o700, f"mode of the new directory {path}")
    p = run(dict(base, HOME=home), "-s", "SH-UT-003", "-b", "women=4/1")
    check_eq(p.returncode, QUEUED, f"HOME {p.stderr}")
    check(os.path.exists(os.path.join(home, ".local", "state", "shelterd",
                                      "outbox")), "outbox under $HOME")
    other = os.path.join(d.tmp, "elsewhere", "box")
    r = d.report("--outbox", other, "-s", "SH-UT-003", "-b", "women=4/1")
    check_eq(r.rc, QUEUED, f"--outbox {r}")
    check(os.path.exists(other) and not os.path.exists(d.outbox),
          "--outbox wins over $SHELTERD_OUTBOX")
    # Nothing queued: flush has nothing to do, daemon or not.
    r = d.report("flush")
    check_eq(r.rc, 0, f"flush of an empty outbox {r}")
    check("nothing to deliver" in r.out, r.out)
    r = d.report("flush", "--outbox", other)
    check_eq(r.rc, QUEUED, f"flush with the daemon down {r}")
    check("1 report waits" in r.err, r.err)
    d.start()
    r = d.report("flush", "--outbox", other)
    check_eq(r.rc, 0, f"flush once the daemon is back {r}")


def test_usage():
    d = Daemon()
    try:
        for args in (["flush", "--shelter", "SH-UT-003"],
                     ["flush", "--no-outbox"], ["flush", "now"],
                     ["outbox", "--seq", "5"], ["outbox", "flush"],
                     ["frobnicate"],
                     ["-s", "SH-UT-003", "-b", "women=4/1", "--no-outbox",
                      "--outbox", "x"],
                     ["-s", "SH-UT-003", "-b", "women=4/1", "--outbox", ""]):
            r = d.report(*args)
            check_eq(r.rc, 2, f"{args} {r}")
            check(r.err.strip(), f"{args}: says what is wrong")
        text = d.report("--help").out
        for word in ("flush", "--outbox", "--no-outbox", "$SHELTERD_OUTBOX",
                     "$XDG_STATE_HOME", "4 queued"):
            check(word in text, f"--help mentions {word}")
        check(all(len(l) <= 79 for l in text.splitlines()),
              "--help fits 79 columns")
    finally:
        d.cleanup()


if __name__ == "__main__":
    main([test_three_reports_offline_one_flush,
          test_stale_queued_report_is_rejected_and_kept,
          test_unauthenticated_keeps_the_queue,
          test_forbidden_keeps_the_queue,
          test_store_full_keeps_a_fresh_report,
          test_next_report_delivers_the_queue_first,
          test_leftover_temp_file_is_ignored,
          test_damaged_lines_are_set_aside,
          test_concurrent_runs_lose_nothing,
          test_where_the_outbox_is,
          test_usage])

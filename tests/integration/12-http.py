"""The dashboard's HTTP side on a real daemon: the page and its JSON reads,
what the operator token shows and what it hides, the ws:// live feed, and
/metrics in Prometheus text format (every line valid, counters that move)."""
import codecs
import json
import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request

from harness import (BIN, TESTS_DIR, Daemon, Failure, check, check_eq,
                     decode, main)

TOKEN = "integration-token-7d1f0c9a3e"
CONFIG = f"[http]\ntoken = {TOKEN}\n"
DEMO_SHELTERS = os.path.join(TESTS_DIR, "..", "..", "registry", "demo",
                             "shelters.csv")


RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def same_alert(cli, http, what):
    """The CLI's and the page's JSON of one alert: the same object (the
    age may have ticked between the two reads)."""
    check_eq(sorted(cli), sorted(http), f"{what}: the same keys")
    check_eq({k: v for k, v in cli.items() if k != "age_secs"},
             {k: v for k, v in http.items() if k != "age_secs"},
             f"{what}: the same values")
    check(abs(cli["age_secs"] - http["age_secs"]) <= 2, what)
    check(RFC3339.match(http["opened_at"]), http["opened_at"])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_daemon(config=CONFIG):
    d = Daemon(config=config)
    d.port = free_port()
    d.http = f"http://127.0.0.1:{d.port}"
    return d


def get(d, path, token=None, method="GET"):
    """(status, headers, body bytes)"""
    req = urllib.request.Request(d.http + path, method=method)
    if token is not None:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def get_json(d, path, token=None):
    status, headers, body = get(d, path, token)
    check_eq(status, 200, f"GET {path}: {body[:200]!r}")
    check(headers["Content-Type"].startswith("application/json"),
          headers["Content-Type"])
    return json.loads(body)


def demo_region(region):
    """[(shelter id, [(category, capacity)])] of one demo region."""
    out = []
    with open(DEMO_SHELTERS) as f:
        next(f)
        for line in f:
            cols = line.rstrip("\n").split(",")
            if cols[2] == region:
                out.append((cols[0], [(b.split(":")[0], int(b.split(":")[1]))
                                      for b in cols[-1].split()]))
    return out


def fill(d, region, free=0):
    for sid, beds in demo_region(region):
        args = []
        for cat, cap in beds:
            args += ["-b", f"{cat}={cap}/{max(cap - free, 0)}"]
        r = d.report("-q", "-N", "--shelter", sid, *args)
        check_eq(r.rc, 0, f"report {sid} {r}")


def test_page_and_json_reads_with_and_without_token():
    d = http_daemon()
    try:
        d.start()
        status, headers, body = get(d, "/")
        check_eq(status, 200, "the page")
        check(headers["Content-Type"].startswith("text/html"), "html")
        check("script-src 'self'" in headers["Content-Security-Policy"],
              "the page runs only its own script")
        check(b"dashboard.js" in body, "page loads its script")
        for asset, kind in (("/dashboard.js", "javascript"),
                            ("/dashboard.css", "text/css")):
            status, headers, _ = get(d, asset)
            check_eq(status, 200, asset)
            check(kind in headers["Content-Type"], headers["Content-Type"])
        check_eq(get(d, "/no/such/page")[0], 404, "unknown path")
        check_eq(get(d, "/api/status", method="POST")[0], 405, "GET only")

        fill(d, "VR19")
        anon = get_json(d, "/api/status")
        check_eq(anon["auth"], False, "no token")
        check_eq(len(anon["regions"]), 25, "the 25 demo regions")
        vr19 = [r for r in anon["regions"] if r["region"] == "VR19"][0]
        check_eq(vr19["name"], "Zeeland", "name")
        check(abs(vr19["lat"] - 51.50) < 0.01, "lat from the registry")
        check_eq(vr19["categories"]["women"]["level"], "critical", "full")
        check_eq(vr19["categories"]["women"]["free"], 0, "no free bed")
        check("stale" not in vr19, "stale shelter ids need the token")
        cli = d.status()
        cli19 = [r for r in cli["regions"] if r["region"] == "VR19"][0]
        check_eq({k: v for k, v in vr19.items()
                  if k not in ("lat", "lon", "categories", "oldest_report")},
                 {k: v for k, v in cli19.items() if k != "categories"},
                 "the same region as shelterctl status, and where to draw")
        # Without the token, a cell of fewer than [privacy] k_anonymity
        # shelters (VR19 has one high-security shelter) and what would
        # give it back by subtraction are merged: every figure null.
        merged = [c for c, t in vr19["categories"].items() if t["merged"]]
        check("highsec" in merged, f"merged cells: {merged}")
        for cat, cell in vr19["categories"].items():
            if cell["merged"]:
                check(all(v is None for k, v in cell.items()
                          if k != "merged"), f"{cat}: {cell}")
            else:
                check_eq(cell, cli19["categories"][cat], f"{cat} as cli")
        check_eq(anon["national"], cli["national"], "the same national")
        check_eq(anon["national"]["women"]["capacity"] > 0, True, "totals")

        for path in ("/api/status", "/api/alerts", "/api/placements"):
            _, _, body = get(d, path)
            check(re.search(rb"SH-[A-Z]{3}-\d", body) is None,
                  f"{path} names no shelter without the token: {body!r}")
        alerts = get_json(d, "/api/alerts")
        check(alerts["hidden"] > 0, "shelter alerts are counted, hidden")
        check(all(a["scope"] != "shelter" for a in alerts["alerts"]),
              "only region and national alerts")
        seqs = [a["opened_seq"] for a in alerts["alerts"]]
        check_eq(seqs, sorted(seqs, reverse=True), "newest first")
        check(any(a["region"] == "VR19" and a["level"] == "critical"
                  and a["scope"] == "region" for a in alerts["alerts"]),
              f"region alert {alerts}")

        check_eq(get_json(d, "/api/status", token="wrong")["auth"], False,
                 "a wrong token is no token")
        check_eq(get(d, "/api/shelters?region=VR19")[0], 401, "needs token")
        check_eq(get(d, "/api/shelters?region=VR19", token="x" + TOKEN)[0],
                 401, "prefix of the token is wrong")

        full = get_json(d, "/api/status", token=TOKEN)
        check_eq(full["auth"], True, "token accepted")
        check("stale" in full["regions"][0], "stale lists with token")
        full19 = [r for r in full["regions"] if r["region"] == "VR19"][0]
        check_eq(full19["categories"], cli19["categories"],
                 "the token sees every cell")
        alerts = get_json(d, "/api/alerts", token=TOKEN)
        check_eq(alerts["hidden"], 0, "nothing hidden")
        check(any(a["scope"] == "shelter" and
                  a["shelter"].startswith("SH-ZEE-")
                  for a in alerts["alerts"]), "shelter alerts named")
        for a in alerts["alerts"]:
            check(a["age_secs"] >= 0 and a["acknowledged_by"] is None and
                  a["acknowledged_at"] is None,
                  f"age, not acknowledged: {a}")
        cli = {a["opened_seq"]: a for a in d.ctl("--json", "alerts").json()}
        check_eq(sorted(cli), sorted(a["opened_seq"]
                                     for a in alerts["alerts"]),
                 "the same open alerts")
        for a in alerts["alerts"]:
            same_alert(cli[a["opened_seq"]], a, "an open alert")

        r = d.ctl("ack", str(alerts["alerts"][0]["opened_seq"]), "--by",
                  "national-desk")
        check_eq(r.rc, 0, f"ack {r}")
        acked = get_json(d, "/api/alerts", token=TOKEN)["alerts"][0]
        check_eq(acked["acknowledged_by"], "national-desk", "who acked")
        check(RFC3339.match(acked["acknowledged_at"]), acked)
        cli = [a for a in d.ctl("--json", "alerts").json()
               if a["opened_seq"] == acked["opened_seq"]]
        check_eq(len(cli), 1, "the acked alert in shelterctl")
        same_alert(cli[0], acked, "an acknowledged alert")

        sh = get_json(d, "/api/shelters?region=VR19", token=TOKEN)
        check_eq(len(sh["shelters"]), len(demo_region("VR19")), "shelters")
        one = sh["shelters"][0]
        check(one["shelter"].startswith("SH-ZEE-") and one["last_seq"] > 0,
              one)
        # The one JSON of a shelter: the page's is shelterctl's.
        cli = d.ctl("--json", "shelter", one["shelter"]).json()
        check_eq(cli, one, "shelterctl and /api/shelters agree")
        cat, cap = demo_region("VR19")[0][1][0]
        check_eq(one["beds"][cat]["capacity"], cap, "a shelter's counts")
        check_eq(one["beds"][cat]["free"], 0, "full")
        check_eq(get(d, "/api/shelters?region=VR99", token=TOKEN)[0], 404,
                 "unknown region")
        check_eq(get(d, "/api/shelters", token=TOKEN)[0], 400, "no region")
        check_eq(get(d, "/api/shelters?region=%3Cx%3E", token=TOKEN)[0], 400,
                 "not an id")

        check(RFC3339.match(one["received_at"]), one["received_at"])

        pl = get_json(d, "/api/placements")
        check_eq(pl["placements"], [], "no requests without the token")
        check(isinstance(pl["counts"], dict), "counts only")

        # The names the page shows come from the daemon's one table.
        names = get_json(d, "/api/names")
        cats = {c["name"]: c for c in names["category"]}
        check_eq(sorted(cats), sorted(anon["national"]), "category names")
        check_eq((cats["women"]["value"], cats["women"]["label"]),
                 (1, "adult women"), "a category's value and label")
        check_eq([k["name"] for k in names["kind"]],
                 ["occupancy", "stale", "acknowledged", "placement",
                  "early_warning", "coverage", "heartbeat",
                  "structural_shortage", "reserve"], "event kinds")
        check_eq([l["name"] for l in names["level_state"]][:3],
                 ["ok", "warning", "critical"], "levels of a picture")
        d.stop()
    finally:
        d.cleanup()


def ws_subscriber(d):
    return subprocess.Popen(
        ["nngcat", "--sub0", "--dial", f"ws://127.0.0.1:{d.port}/events",
         "--subscribe", "", "--quoted", "--recv-timeout", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_live_feed_on_ws_names_no_shelter():
    d = http_daemon()
    try:
        d.start()
        sub = ws_subscriber(d)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            m = get(d, "/metrics")[2].decode()
            if 'shelterd_subscribers{socket="dashboard"} 1' in m:
                break
            time.sleep(0.05)
        else:
            raise Failure("the ws subscriber was not counted")
        fill(d, "VR19")
        out, _ = sub.communicate(timeout=20)
        frames = [codecs.escape_decode(line.strip()[1:-1])[0]
                  for line in out.decode().splitlines() if line.strip()]
        check(len(frames) >= 3, f"frames: {out[:300]!r}")
        topics = []
        for f in frames:
            topic, _, ev = f.partition(b"\0")
            if topic == b"hb":
                continue  # a heartbeat: test_heartbeat_reaches_the_page
            topics.append(topic.decode())
            text = decode(ev, "shelterd.v1.Event")
            check("shelter_id" not in text and "SH-" not in text,
                  f"event without shelter: {text}")
            check("event_seq" in text, text)
        check(all("SH-" not in t for t in topics), f"topics {topics}")
        check("esc/VR19/critical/region/women" in topics, f"{topics}")
        # A shelter's own events are need-to-know: not on a public feed,
        # not even without the shelter's id (docs/security.md).
        check(all("/shelter/" not in t for t in topics),
              f"no shelter-scope event on the public feed: {topics}")
        d.stop()
    finally:
        d.cleanup()


def test_heartbeat_reaches_the_page():
    # The page's feed is a socket of its own: the heartbeat that tells it
    # the daemon is alive must reach it too, with the newest event_seq.
    d = http_daemon(config=CONFIG + "[events]\nheartbeat_secs = 1\n")
    try:
        d.start()
        fill(d, "VR19")
        last = d.status()["last_event_seq"]
        sub = subprocess.Popen(
            ["nngcat", "--sub0", "--dial",
             f"ws://127.0.0.1:{d.port}/events", "--subscribe", "hb",
             "--quoted", "--count", "2", "--recv-timeout", "5"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, _ = sub.communicate(timeout=20)
        frames = [codecs.escape_decode(line.strip()[1:-1])[0]
                  for line in out.decode().splitlines() if line.strip()]
        check_eq(len(frames), 2, f"two heartbeats: {out[:300]!r}")
        topic, _, ev = frames[-1].partition(b"\0")
        text = decode(ev, "shelterd.v1.Event")
        check_eq(topic, b"hb", "topic")
        check("kind: EVENT_KIND_HEARTBEAT" in text and
              f"last_event_seq: {last}" in text and
              "heartbeat_secs: 1" in text, text)
        m = get(d, "/metrics")[2].decode()
        check('shelterd_events_total{kind="heartbeat",level="cleared"} 0'
              in m.splitlines() or 'kind="heartbeat"' not in m,
              "heartbeats are not counted as events")
        d.stop()
    finally:
        d.cleanup()


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*='
                    r'"(?:[^"\\\n]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*='
                    r'"(?:[^"\\\n]|\\.)*")*)?\})? '
                    r'(-?[0-9.eE+-]+|NaN|\+Inf|-Inf)( -?[0-9]+)?$')
META = re.compile(r'^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$')


def parse_metrics(text):
    """Every line checked against the text exposition format; returns
    {(name, labels): value} and {name: type}."""
    check(text.endswith("\n"), "ends with a newline")
    samples, types = {}, {}
    for n, line in enumerate(text.splitlines(), 1):
        if line.startswith("#"):
            m = META.match(line)
            check(m is not None, f"line {n}: bad comment {line!r}")
            if m.group(1) == "TYPE":
                check(m.group(3) in ("counter", "gauge", "histogram",
                                     "summary", "untyped"),
                      f"line {n}: type {line!r}")
                check(m.group(2) not in types, f"line {n}: TYPE twice")
                types[m.group(2)] = m.group(3)
            continue
        m = SAMPLE.match(line)
        check(m is not None, f"line {n}: not a sample: {line!r}")
        name, labels, value = m.group(1), m.group(3) or "", m.group(5)
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        check(name in types or base in types,
              f"line {n}: {name} has no TYPE before it")
        check((name, labels) not in samples, f"line {n}: duplicate")
        samples[(name, labels)] = float(value)
    for name, kind in types.items():
        if kind == "counter":
            check(name.endswith("_total"), f"counter {name} ends _total")
        if kind == "histogram":
            buckets = [(k[1], v) for k, v in samples.items()
                       if k[0] == name + "_bucket"]
            values = [v for _, v in buckets]
            check_eq(values, sorted(values), f"{name} cumulative")
            check_eq(buckets[-1][0], 'le="+Inf"', f"{name} ends +Inf")
            check_eq(buckets[-1][1], samples[(name + "_count", "")],
                     f"{name} +Inf is the count")
    return samples, types


def metrics(d):
    status, headers, body = get(d, "/metrics")
    check_eq(status, 200, "/metrics")
    check(headers["Content-Type"].startswith("text/plain; version=0.0.4"),
          headers["Content-Type"])
    return parse_metrics(body.decode())


def test_metrics_exposition_and_counters():
    d = http_daemon()
    try:
        d.start()
        m0, types = metrics(d)
        for name in ("shelterd_requests_received_total",
                     "shelterd_updates_acknowledged_total",
                     "shelterd_refused_total",
                     "shelterd_batch_requests",
                     "shelterd_commit_duration_seconds",
                     "shelterd_events_total", "shelterd_subscribers",
                     "shelterd_alerts_open", "shelterd_shelters_stale",
                     "shelterd_lmdb_map_used_bytes",
                     "shelterd_lmdb_map_size_bytes",
                     "shelterd_placements"):
            check(name in types, f"{name} exported")
        check_eq(m0[("shelterd_subscribers", 'socket="events"')], 0,
                 "no subscriber yet")
        w = d.watch("--region", "VR19")
        fill(d, "VR19")
        r = d.report("-q", "-N", "--shelter", "SH-ZEE-001", "-b",
                     "women=1/1")
        check_eq(r.rc, 1, f"refused: a category missing {r}")
        time.sleep(1.2)  # one tick: the snapshot is at most a tick old
        m1, _ = metrics(d)
        check_eq(m1[("shelterd_subscribers", 'socket="events"')], 1,
                 "coord-watch counted")
        w.stop()

        def delta(key):
            return m1.get(key, 0) - m0.get(key, 0)

        n = len(demo_region("VR19"))
        check_eq(delta(("shelterd_updates_acknowledged_total",
                        'result="applied"')), n, "applied")
        check(delta(("shelterd_requests_received_total", "")) >= n + 1,
              "received")
        check_eq(delta(("shelterd_refused_total", 'reason="bad_request"')),
                 1, "refused by reason")
        check(delta(("shelterd_commit_duration_seconds_count", "")) >= n,
              "a commit per batch")
        check(m1[("shelterd_commit_duration_seconds_sum", "")] > 0, "time")
        check(delta(("shelterd_batch_requests_count", "")) >= 1, "batches")
        check(delta(("shelterd_events_total",
                     'kind="occupancy",level="critical"')) >= 2,
              "region and national critical events")
        check_eq(m1[("shelterd_alerts_open", 'level="critical"')],
                 m1[("shelterd_alerts_unacknowledged", 'level="critical"')],
                 "nobody acked")
        check(m1[("shelterd_alerts_open", 'level="critical"')] >= 2,
              "open critical alerts")
        check_eq(m1[("shelterd_shelters_reported", "")], n, "reported")
        check_eq(m1[("shelterd_shelters_stale", "")], 0, "none stale")
        check(0 < m1[("shelterd_lmdb_map_used_bytes", "")] <
              m1[("shelterd_lmdb_map_size_bytes", "")], "map use")
        check_eq(m1[("shelterd_beds", 'category="women",count="free"')], 0,
                 "national women beds")
        d.stop()
    finally:
        d.cleanup()


def test_stale_shelters_are_unknown_not_free():
    d = http_daemon(config=CONFIG + "[reporting]\ndeadline_secs = 1\n"
                    "[daemon]\ntick_ms = 100\n")
    try:
        d.start()
        fill(d, "VR19", free=2)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            st = get_json(d, "/api/status", token=TOKEN)
            vr19 = [r for r in st["regions"] if r["region"] == "VR19"][0]
            if vr19["shelters_stale"] == len(demo_region("VR19")):
                break
            time.sleep(0.1)
        else:
            raise Failure(f"shelters did not go stale: {vr19}")
        women = vr19["categories"]["women"]
        check_eq(women["free"], 0, "stale beds are not free")
        check(women["unknown"] > 0, f"they are unknown: {women}")
        check(all(s.startswith("SH-ZEE-") for s in vr19["stale"]) and
              len(vr19["stale"]) == len(demo_region("VR19")), "ids")
        m, _ = metrics(d)
        check_eq(m[("shelterd_shelters_stale", "")],
                 len(demo_region("VR19")), "stale gauge")
        d.stop()
    finally:
        d.cleanup()


def test_http_url_checked_and_port_in_use_refused():
    d = http_daemon()
    try:
        for bad in ("https://127.0.0.1:1", "http://127.0.0.1:1/x",
                    "not a url"):
            p = subprocess.run([BIN["SHELTERD"], "-d", d.data, "--api",
                                d.api, "--events", d.events, "--http", bad],
                               capture_output=True, text=True, timeout=20)
            check_eq(p.returncode, 1, f"{bad}: {p.stderr}")
            check("http_url" in p.stderr, p.stderr)
        with socket.socket() as s:
            s.bind(("127.0.0.1", d.port))
            s.listen()
            p = subprocess.run([BIN["SHELTERD"], "-d", d.data, "--api",
                                d.api, "--events", d.events, "--http",
                                d.http], capture_output=True, text=True,
                               timeout=20)
            check_eq(p.returncode, 1, f"port in use: {p.stderr}")
            check(f"cannot serve {d.http}" in p.stderr or
                  f"cannot listen for http on {d.http}" in p.stderr,
                  p.stderr)
        # Empty: no dashboard (the harness default).
        d.http = ""
        d.start()
        check("http: disabled" in d.read_log(), "disabled is logged")
        d.stop()
    finally:
        d.cleanup()


if __name__ == "__main__":
    main([test_page_and_json_reads_with_and_without_token,
          test_live_feed_on_ws_names_no_shelter,
          test_heartbeat_reaches_the_page,
          test_metrics_exposition_and_counters,
          test_stale_shelters_are_unknown_not_free,
          test_http_url_checked_and_port_in_use_refused])

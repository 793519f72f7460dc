"""/healthz (live) and /readyz (store open, loop turning, age of the last
commit) on the dashboard's HTTP port, as a supervisor or a load balancer
would ask them, with no token."""
import json
import time
import urllib.error
import urllib.request

from harness import Daemon, check, check_eq, free_ports, main


def get(d, path, method="GET"):
    req = urllib.request.Request(d.http + path, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def probe(d, path):
    status, headers, body = get(d, path)
    check(headers["Content-Type"].startswith("application/json"),
          f"{path}: {headers['Content-Type']}")
    return status, json.loads(body)


def http_daemon(config=None):
    d = Daemon(config=config)
    d.http = f"http://127.0.0.1:{free_ports(1)[0]}"
    return d


def test_healthz_and_readyz():
    # A fast tick: a stuck loop would show within the 5 s floor.
    d = http_daemon("[daemon]\ntick_ms = 100\n")
    try:
        d.start()
        status, h = probe(d, "/healthz")
        check_eq(status, 200, f"/healthz {h}")
        check_eq(h["status"], "alive", "healthz")
        check(0 <= h["uptime_secs"] < 60, f"uptime {h}")

        status, r = probe(d, "/readyz")
        check_eq(status, 200, f"/readyz {r}")
        check_eq((r["ready"], r["store"], r["loop_turning"]),
                 (True, "open", True), f"readyz {r}")

        # A report commits: the age is known and small, then grows.
        check_eq(d.report("-s", "SH-UT-003", "-b", "women=10/3").rc, 0,
                 "report")
        _, r = probe(d, "/readyz")
        age = r["last_commit_age_secs"]
        check(age is not None and 0 <= age < 5, f"commit age {r}")
        time.sleep(1.2)
        _, r = probe(d, "/readyz")
        check(r["last_commit_age_secs"] >= age + 1, f"age grows {r}")
        # Idle for more than a second, the loop still turns every tick.
        check(r["last_loop_turn_ms"] < 1000, f"loop turn age {r}")

        # HEAD works (curl -I), POST does not.
        check_eq(get(d, "/healthz", "HEAD")[0], 200, "HEAD /healthz")
        check_eq(get(d, "/readyz", "POST")[0], 405, "POST /readyz")
        d.stop()
    finally:
        d.cleanup()


if __name__ == "__main__":
    main([test_healthz_and_readyz])

"""shelter-node (issue 9): a real national shelterd and one real node on
ipc:// sockets, with 20 shelters reporting to the node through the real
shelter-report. The national daemon goes away and comes back; the node is
SIGKILLed while forwarding; a watcher on the node sees its region's events.

"Applied once" is checked with the national daemon's own count of applied
updates (its "stopped: ... N updates applied" line per run) and its event
log: every report flips its shelter between full and one bed free, so the
shelter-scope events of a shelter must alternate warning/cleared, once per
report, in report order."""
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time

from harness import (BIN, Daemon, free_ports, Failure, check, check_eq, main,
                     make_secrets)

NODE = os.environ["SHELTER_NODE"]
REGION = "VR01"
SHELTERS = [f"SH-{i:02d}" for i in range(1, 21)]
OTHERS = ["OT-1", "OT-2"]

REGIONS_CSV = """code,name,province,seat,lat,lon,neighbours
VR01,Region One,P,S1,52.0,5.0,VR02
VR02,Region Two,P,S2,52.1,5.1,VR01
"""


def registry(tmp):
    path = os.path.join(tmp, "registry")
    os.makedirs(path)
    with open(os.path.join(path, "regions.csv"), "w") as f:
        f.write(REGIONS_CSV)
    with open(os.path.join(path, "shelters.csv"), "w") as f:
        f.write("id,name,region,security_level,beds\n")
        for sid in SHELTERS:
            f.write(f"{sid},Shelter {sid},VR01,1,women:4\n")
        for sid in OTHERS:
            f.write(f"{sid},Shelter {sid},VR02,1,women:4\n")
    return path


class Node:
    """One shelter-node in the national daemon's temp dir."""

    def __init__(self, nat, args=(), env=None):
        self.nat = nat
        self.args = list(args)
        self.proc_env = env
        self.api = f"ipc://{nat.tmp}/node-api.sock"
        self.events = f"ipc://{nat.tmp}/node-events.sock"
        self.data = os.path.join(nat.tmp, "node-data")
        self.log_path = os.path.join(nat.tmp, "node.log")
        self.proc = None
        self.env = dict(nat.env, SHELTERD_API=self.api,
                        SHELTERD_EVENTS=self.events)

    def start(self):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [NODE, "--region", REGION, "--registry", self.nat.registry,
             "--data-dir", self.data, "--api", self.api,
             "--events", self.events, "--upstream", self.nat.api,
             "--upstream-events", self.nat.events, "--retry-ms", "100",
             "--poll-ms", "200", "--log-level", "debug", *self.args],
            stdout=self.log, stderr=subprocess.STDOUT, env=self.proc_env)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise Failure(f"shelter-node exited with "
                              f"{self.proc.returncode}:\n{self.read_log()}")
            if self.ctl("regions").rc == 0:
                return self
            time.sleep(0.05)
        raise Failure("shelter-node did not answer within 10 s")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise Failure("shelter-node did not stop on SIGTERM")
        self.log.close()
        check_eq(rc, 0, f"shelter-node exit status\n{self.read_log()}")

    def kill(self):
        self.proc.kill()
        self.proc.wait()
        self.log.close()

    def read_log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def run(self, tool, *args, timeout=20):
        p = subprocess.run([BIN[tool], *args], env=self.env,
                           capture_output=True, text=True, timeout=timeout)
        return p

    def ctl(self, *args):
        p = self.run("SHELTERCTL", *args)
        p.rc = p.returncode
        return p

    def outbox(self):
        """(exit status, text) of shelter-node --status."""
        p = subprocess.run([NODE, "--status", "--data-dir", self.data],
                           capture_output=True, text=True, timeout=20)
        return p.returncode, p.stdout

    def wait_drained(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rc, out = self.outbox()
            if rc == 0:
                return
            time.sleep(0.1)
        raise Failure(f"outbox not drained: {self.outbox()}\n"
                      f"{self.read_log()}")

    def cleanup(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class Shelters:
    """Report seq 1, 2, ... per shelter through the node; odd seqs are
    full (4/4), even ones have one bed free (4/3)."""

    def __init__(self, node):
        self.node = node
        self.next = {sid: 1 for sid in SHELTERS}
        self.acked = {}  # sid -> (seq, occupied)
        self.failures = []

    def one(self, sid):
        seq = self.next[sid]
        occ = 4 if seq % 2 else 3
        p = self.node.run("SHELTER_REPORT", "--no-outbox", "--api",
                          self.node.api, "-s", sid, "-b", f"women=4/{occ}",
                          "--seq", str(seq))
        if p.returncode != 0 or "stored" not in p.stdout:
            self.failures.append(f"{sid} seq {seq}: {p.returncode} "
                                 f"{p.stdout!r} {p.stderr!r}")
            return
        self.acked[sid] = (seq, occ)
        self.next[sid] = seq + 1

    def round(self, per_shelter):
        """Every shelter in its own thread, per_shelter reports each."""
        def work(sid):
            for _ in range(per_shelter):
                self.one(sid)
        threads = [threading.Thread(target=work, args=(sid,))
                   for sid in SHELTERS]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        check_eq(self.failures, [], "every report acknowledged by the "
                 "node")

    def total(self):
        return sum(seq for seq, _ in self.acked.values())


def national_shelter(nat, sid):
    r = nat.ctl("--json", "shelter", sid)
    check_eq(r.rc, 0, f"national shelter {sid} {r}")
    return r.json()


def national_events(nat):
    r = nat.run("COORD_WATCH", "--json", "--since", "0", "--wait", "1")
    check_eq(r.rc, 0, f"coord-watch --since 0 {r}")
    return [json.loads(l) for l in r.out.splitlines() if l.strip()]


def applied_total(nat):
    """Updates applied over every run of the national daemon."""
    return sum(int(m) for m in re.findall(r"stopped: .* (\d+) updates "
                                          r"applied", nat.read_log()))


def check_national(nat, shelters):
    """National holds each shelter's last acked report, every report was
    applied once and in order."""
    for sid in SHELTERS:
        sh = national_shelter(nat, sid)
        seq, occ = shelters.acked[sid]
        check_eq((sh["last_seq"], sh["beds"]["women"]["occupied"]),
                 (seq, occ), f"national state of {sid}")
    events = national_events(nat)
    seqs = [e["event_seq"] for e in events]
    check_eq(seqs, list(range(1, len(seqs) + 1)), "a gap-free event log")
    for sid in SHELTERS:
        levels = [e["level"] for e in events
                  if e["scope"] == "shelter" and e.get("shelter") == sid]
        n = shelters.acked[sid][0]
        want = ["warning" if i % 2 == 0 else "cleared" for i in range(n)]
        check_eq(levels, want, f"{sid}: one event per report, in order")
    log = nat.read_log()
    check("STALE_SEQ" not in log and "older than the last" not in log,
          "no report reached national out of order")
    nat.stop()
    check_eq(applied_total(nat), shelters.total(),
             "national applied each report exactly once")


def with_node(fn):
    def test():
        nat = Daemon()
        nat.registry = registry(nat.tmp)
        node = Node(nat)
        try:
            nat.start()
            node.start()
            fn(nat, node)
        finally:
            node.cleanup()
            nat.cleanup()
    test.__name__ = fn.__name__
    return test


@with_node
def test_national_down_then_back(nat, node):
    shelters = Shelters(node)
    shelters.round(3)
    node.wait_drained()

    nat.stop()
    shelters.round(5)
    rc, out = node.outbox()
    check_eq(rc, 4, f"--status while national is down: {out}")
    check(f"{len(SHELTERS) * 5} reports wait" in out, out)
    # Local status throughout, from the node's own reports.
    r = node.ctl("--json", "status")
    check_eq(r.rc, 0, f"node status while national is down {r.stderr}")
    st = json.loads(r.stdout)
    check_eq([reg["region"] for reg in st["regions"]], [REGION],
             "the node shows its own region")
    women = st["regions"][0]["categories"]["women"]
    check_eq(women["capacity"], 4 * len(SHELTERS), "capacity")
    check_eq(women["occupied"], sum(o for _, o in shelters.acked.values()),
             "occupied from the latest local reports")
    r = node.ctl("--json", "shelter", "SH-07")
    check_eq(json.loads(r.stdout)["last_seq"], shelters.acked["SH-07"][0],
             "the node's own view of a shelter")
    # A shelter of another region is refused clearly.
    p = node.run("SHELTER_REPORT", "--no-outbox", "--api", node.api, "-s",
                 "OT-1", "-b", "women=4/1")
    check_eq(p.returncode, 1, f"report for another region {p.stderr}")
    check("belongs to region VR02" in p.stderr and "serves VR01" in
          p.stderr, p.stderr)
    time.sleep(0.5)
    check("national daemon unreachable" in node.read_log(),
          "the node says national is unreachable")

    nat.start()
    shelters.round(3)
    node.wait_drained()
    check_national(nat, shelters)
    node.stop()
    log = node.read_log()
    refused = [l for l in log.splitlines() if "refused update" in l and
               "'OT-1'" not in l or "national daemon refused" in l]
    check_eq(refused, [], "nothing else refused")
    check(f"{shelters.total()} reports accepted, 0 duplicates, 1 refused, "
          f"{shelters.total()} forwarded, 0 rejected by national" in log,
          "the node's counts")


@with_node
def test_node_killed_while_forwarding(nat, node):
    shelters = Shelters(node)
    nat.stop()
    shelters.round(20)
    nat.start()
    # Kill it as soon as national has the first forwarded reports: the
    # node must forward once national is back, without a restart.
    deadline = time.monotonic() + 20
    forwarding = False
    while not forwarding and time.monotonic() < deadline:
        forwarding = national_shelter(nat, "SH-01")["last_seq"] > 0
    node.kill()
    check(forwarding, "the node forwarded once national was back")
    rc, out = node.outbox()
    print(f"     outbox at SIGKILL: {out.splitlines()[0]}")
    # One report per shelter per batch: 20 batches, so some still wait
    # when the first arrived, and the kill came in the middle.
    check_eq(rc, 4, f"killed while reports still waited: {out}")
    node.start()
    node.wait_drained()
    check_national(nat, shelters)
    node.stop()


@with_node
def test_refused_report_is_kept_not_dropped(nat, node):
    # A report the node accepted that national then refuses as stale (a
    # newer one reached national straight): it cannot be stored, but it
    # moves to the node's rejected reports instead of vanishing.
    nat.stop()
    p = node.run("SHELTER_REPORT", "--no-outbox", "--api", node.api, "-s",
                 "SH-01", "-b", "women=4/2", "--seq", "5")
    check_eq(p.returncode, 0, f"accepted by the node {p.stderr}")
    rc, out = node.outbox()
    check_eq(rc, 4, f"waits at the node: {out}")
    # The node stopped meanwhile, so that the newer report surely reaches
    # national first (a running node forwards within --retry-ms).
    node.stop()
    nat.start()
    r = nat.report("-s", "SH-01", "-b", "women=4/1", "--seq", "9",
                   "--no-outbox")
    check_eq(r.rc, 0, f"newer report straight to national {r}")
    node.start()
    node.wait_drained()
    rc, out = node.outbox()
    check("rejected by national (kept in the store): 1" in out, out)
    check("refused SH-01 seq 5 (STALE_SEQ" in node.read_log() and
          "moved to the node's rejected reports" in node.read_log(),
          "logged")
    check_eq(national_shelter(nat, "SH-01")["last_seq"], 9,
             "the newer report stands")
    node.stop()
    check("0 forwarded, 1 rejected by national" in node.read_log(),
          "the node's counts")
    rc, out = node.outbox()
    check("rejected by national (kept in the store): 1" in out,
          f"still there after a restart: {out}")


@with_node
def test_watcher_on_node_sees_region_events(nat, node):
    shelters = Shelters(node)
    # The watcher follows from now: not national's start-up events (the
    # coverage warnings of a registry nobody reported on yet).
    start_seq = nat.status()["last_event_seq"]
    w = subprocess.Popen(
        [BIN["COORD_WATCH"], "--json", "--api", node.api, "--events",
         node.events], env=node.env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    check("watching" in w.stderr.readline(), "coord-watch started")
    got = []
    reader = threading.Thread(target=lambda: got.extend(
        json.loads(l) for l in w.stdout if l.strip()))
    reader.start()
    time.sleep(0.3)

    def other(occ, seq):
        r = nat.report("-s", "OT-1", "-b", f"women=4/{occ}", "--seq",
                       str(seq), "--no-outbox")
        check_eq(r.rc, 0, f"report to national {r}")

    shelters.round(2)
    other(4, 1)
    node.wait_drained()
    # The node disconnected: what national publishes meanwhile must still
    # reach the watcher, from the node's copy.
    node.stop()
    for seq in (2, 3):
        other(3 if seq % 2 == 0 else 4, seq)
    for sid in SHELTERS[:3]:
        r = nat.report("-s", sid, "-b", "women=4/4", "--seq", "100",
                       "--no-outbox")
        check_eq(r.rc, 0, f"report straight to national {r}")
    node.start()
    # More region events after the restart: at the first one the watcher
    # (re-dialled by nng meanwhile) sees the gap and fetches the missed
    # ones from the node. A live event sent before its pipe is back is
    # lost like any pub/sub message, hence more than one.
    shelters.next["SH-10"] = 101
    seen = len(got)
    deadline = time.monotonic() + 15
    while len(got) == seen and time.monotonic() < deadline:
        shelters.one("SH-10")
        node.wait_drained()
        time.sleep(0.5)
    check(len(got) > seen, "the watcher follows the restarted node")

    region_log = [e for e in national_events(nat)
                  if e.get("region") == REGION]
    want = [e for e in region_log if e["event_seq"] > start_seq]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(got) < len(want):
        time.sleep(0.05)
    time.sleep(0.3)
    w.terminate()
    w.wait(timeout=10)
    if os.environ.get("NODE_DEBUG"):
        print(w.returncode, w.stderr.read())
    reader.join(timeout=10)
    check(any(e.get("region") != REGION for e in national_events(nat)),
          "national published events of other regions too")
    check_eq([e["event_seq"] for e in got], [e["event_seq"] for e in want],
             "the watcher saw exactly the region's events, in order")
    check_eq(got, want, "the events unchanged")
    # And the node's own log answers events_since like national's.
    r = node.run("COORD_WATCH", "--json", "--api", node.api, "--events",
                 node.events, "--since", "0", "--wait", "1")
    check_eq([json.loads(l) for l in r.stdout.splitlines() if l.strip()],
             region_log, "events_since on the node")
    node.stop()
    nat.stop()



def test_watcher_on_node_hears_the_heartbeat():
    """The node passes national's heartbeat on: its watchers know the feed
    is live, and that it is not once national is gone."""
    nat = Daemon(config="[events]\nheartbeat_secs = 1\n")
    nat.registry = registry(nat.tmp)
    node = Node(nat)
    try:
        nat.start()
        node.start()
        watch = ("COORD_WATCH", "--api", node.api, "--events", node.events,
                 "--fail-after", "4")
        r = node.run(*watch, "--wait", "6")
        check_eq(r.returncode, 0, f"live for 6 s: {r}")
        check("not live" not in r.stderr, r.stderr)
        nat.stop()
        r = node.run(*watch, "--wait", "15")
        check_eq(r.returncode, 3, f"national gone: not live {r}")
        check("the feed is not live" in r.stderr, r.stderr)
        node.stop()
    finally:
        node.cleanup()
        nat.cleanup()


def test_signed_over_tls():
    """National takes only signed requests over mutual TLS: the node
    forwards with the region's key and follows events over TLS."""
    nat = Daemon()
    node = None
    try:
        sec = make_secrets(nat, registry(nat.tmp))
        pki = os.path.join(sec, "pki")
        api_port, events_port = free_ports(2)
        nat.api = f"tls+tcp://localhost:{api_port}"
        nat.events = f"tls+tcp://localhost:{events_port}"
        tls = dict(SHELTERD_TLS_CA=os.path.join(pki, "ca.pem"),
                   SHELTERD_TLS_CERT=os.path.join(pki, "client.pem"))
        nat.env.update(tls, SHELTERD_API=nat.api, SHELTERD_EVENTS=nat.events,
                       SHELTERD_KEY=os.path.join(sec, "keys",
                                                 "operator.key"))
        nat.registry = os.path.join(sec, "registry")
        nat.config = ("[security]\nallow_unsigned = 0\n"
                      "[tls]\ncert_file = %s\nca_file = %s\n"
                      % (os.path.join(pki, "server.pem"),
                         os.path.join(pki, "ca.pem")))
        nat.start()
        node = Node(nat, ["--key", os.path.join(sec, "keys",
                                                f"region-{REGION}.key")],
                    env=dict(os.environ, **tls))
        # The shelters talk to the node unsigned, on its local socket.
        node.env.pop("SHELTERD_KEY")
        node.start()
        shelters = Shelters(node)
        shelters.round(2)
        node.wait_drained()
        for sid in SHELTERS:
            check_eq(national_shelter(nat, sid)["last_seq"], 2,
                     f"{sid} forwarded, signed")
        check("refused" not in nat.read_log(), "national refused nothing")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            r = node.run("COORD_WATCH", "--json", "--api", node.api,
                         "--events", node.events, "--since", "0", "--wait",
                         "1")
            if r.stdout.strip():
                break
        check(r.stdout.strip() != "", "events followed over TLS")
        node.stop()
        nat.stop()
    finally:
        if node is not None:
            node.cleanup()
        nat.cleanup()


if __name__ == "__main__":
    main([test_national_down_then_back, test_node_killed_while_forwarding,
          test_refused_report_is_kept_not_dropped,
          test_watcher_on_node_sees_region_events,
          test_watcher_on_node_hears_the_heartbeat, test_signed_over_tls])

"""Test harness: the real shelterd on ipc:// sockets in a fresh temp dir,
driven by the real clients. Standard library only (python3 is already
there: meson needs it).

Paths to the binaries come from the environment that tests/meson.build
sets: SHELTERD, SHELTER_REPORT, COORD_WATCH, SHELTERCTL, TESTS_DIR.
"""
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

BIN = {k: os.environ[k] for k in
       ("SHELTERD", "SHELTER_REPORT", "COORD_WATCH", "SHELTERCTL",
        "REGION_PLACE")}
TESTS_DIR = os.environ.get("TESTS_DIR",
                           os.path.dirname(os.path.abspath(__file__)))
TEST_REGISTRY = os.path.join(TESTS_DIR, "registry")


class Failure(Exception):
    pass


def free_ports(n):
    """n distinct free TCP ports on 127.0.0.1, bound all at once so that two
    of them can never be the same port, and below the kernel's ephemeral
    range: a daemon's guard has nng listen on ephemeral ports of its own
    (daemon/guard.c), which must not take one of these meanwhile."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    socks = []
    try:
        while len(socks) < n:
            s = socket.socket()
            try:
                s.bind(("127.0.0.1", random.randrange(10000, low)))
            except OSError:
                s.close()
                continue
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def check(cond, what):
    if not cond:
        raise Failure(what)


def check_eq(got, want, what):
    if got != want:
        raise Failure(f"{what}: got {got!r}, want {want!r}")


class Result:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return f"rc={self.rc} out={self.out!r} err={self.err!r}"


class Daemon:
    """One shelterd with its own temp dir, data dir and ipc sockets."""

    def __init__(self, registry=None, config=None, tmp=None):
        self.tmp = tmp or tempfile.mkdtemp(prefix="shelterd-test-")
        self.data = os.path.join(self.tmp, "data")
        self.api = f"ipc://{self.tmp}/api.sock"
        self.events = f"ipc://{self.tmp}/events.sock"
        self.registry = registry
        self.config = config
        # No dashboard unless a test asks for one (tests run in parallel:
        # the default port would be shared).
        self.http = ""
        self.proc = None
        self.log_path = os.path.join(self.tmp, "shelterd.log")
        # Each test its own shelter-report outbox: never the user's, and
        # never one that another test's reports wait in.
        self.env = dict(os.environ, SHELTERD_API=self.api,
                        SHELTERD_EVENTS=self.events,
                        SHELTERD_OUTBOX=os.path.join(self.tmp, "outbox"))

    def start(self):
        args = [BIN["SHELTERD"], "--data-dir", self.data, "--api", self.api,
                "--events", self.events, "--http", self.http,
                "--log-level", "debug"]
        if self.config is not None:
            path = os.path.join(self.tmp, "shelterd.conf")
            with open(path, "w") as f:
                f.write(self.config)
            args[1:1] = ["--config", path]
        if self.registry is not None:
            args += ["--registry", self.registry]
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise Failure(f"shelterd exited with {self.proc.returncode}"
                              f" at start:\n{self.read_log()}")
            if self.ctl("regions").rc == 0:
                return self
            time.sleep(0.05)
        raise Failure("shelterd did not answer within 10 s")

    def with_registry(self, regions_csv, shelters_csv):
        """Use a registry of these two CSV texts, written to the temp dir."""
        self.registry = os.path.join(self.tmp, "registry")
        os.makedirs(self.registry, exist_ok=True)
        for name, text in (("regions.csv", regions_csv),
                           ("shelters.csv", shelters_csv)):
            with open(os.path.join(self.registry, name), "w") as f:
                f.write(text)
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """SIGTERM; the daemon must exit 0 (and sanitizers stay quiet)."""
        if not self.alive():
            raise Failure(f"shelterd is not running (exit "
                          f"{self.proc.returncode}):\n{self.read_log()}")
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise Failure("shelterd did not stop on SIGTERM")
        self.log.close()
        check_eq(rc, 0, f"shelterd exit status\n{self.read_log()}")

    def read_log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def run(self, tool, *args, timeout=20):
        p = subprocess.run([BIN[tool], *args], env=self.env,
                           capture_output=True, text=True, timeout=timeout)
        return Result(p)

    def report(self, *args):
        return self.run("SHELTER_REPORT", *args)

    def ctl(self, *args):
        return self.run("SHELTERCTL", *args)

    def status(self):
        # A loaded CI machine may take more than the 5 s default.
        r = self.ctl("--json", "--timeout", "20000", "status")
        check_eq(r.rc, 0, f"shelterctl status {r}")
        return r.json()

    def region(self, region_id, category):
        for reg in self.status()["regions"]:
            if reg["region"] == region_id:
                return reg["categories"][category]
        raise Failure(f"no region {region_id}")

    def watch(self, *args):
        return Watcher(self, *args)

    def cleanup(self):
        if self.alive():
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


class Watcher:
    """coord-watch --json in the background; lines are events."""

    def __init__(self, daemon, *args):
        self.proc = subprocess.Popen(
            [BIN["COORD_WATCH"], "--json", *args], env=daemon.env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # coord-watch dials synchronously and then says so on stderr.
        line = self.proc.stderr.readline()
        check("watching" in line, f"coord-watch did not start: {line!r}")
        time.sleep(0.2)  # let the pub side register the new pipe

    def stop(self, settle=0.3):
        """Give in-flight events a moment, then end the watcher and return
        its events; for watchers that wait to see nothing more."""
        time.sleep(settle)
        self.proc.terminate()
        rc, events = self.finish()
        return events

    def finish(self, timeout=20):
        """Wait for exit; returns (exit status, list of events)."""
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
            raise Failure(f"coord-watch did not finish: {out!r} {err!r}")
        return self.proc.returncode, [json.loads(l) for l in
                                      out.splitlines() if l.strip()]


def main(tests):
    """Run test functions; each gets nothing and raises on failure."""
    failed = 0
    only = sys.argv[1:]
    for t in tests:
        if only and t.__name__ not in only:
            continue
        start = time.monotonic()
        try:
            t()
            print(f"ok   {t.__name__} ({time.monotonic() - start:.2f}s)")
        except Exception as e:  # report every kind of failure, go on
            failed += 1
            print(f"FAIL {t.__name__}: {type(e).__name__}: {e}")
    sys.exit(1 if failed else 0)


PROTO_DIR = os.environ.get("PROTO_DIR",
                           os.path.join(TESTS_DIR, "..", "..", "proto"))
PROTO = os.path.join(PROTO_DIR, "shelterd.proto")


def encode(text, message="shelterd.v1.Request"):
    """Protobuf text format -> bytes, with protoc (an independent tool)."""
    p = subprocess.run(["protoc", f"--encode={message}",
                        f"--proto_path={PROTO_DIR}", PROTO],
                       input=text.encode(), capture_output=True, timeout=20)
    check_eq(p.returncode, 0, f"protoc --encode: {p.stderr!r}")
    return p.stdout


def decode(data, message="shelterd.v1.Reply"):
    p = subprocess.run(["protoc", f"--decode={message}",
                        f"--proto_path={PROTO_DIR}", PROTO],
                       input=data, capture_output=True, timeout=20)
    check_eq(p.returncode, 0, f"protoc --decode: {p.stderr!r}")
    # Text format escapes quotes; tests look for the plain words.
    return p.stdout.decode().replace("\\'", "'")


def make_secrets(daemon, registry=None):
    """tools/mksecrets into the daemon's temp dir: a throw-away CA, server
    and client certificates and a key per party (of registry, or the demo
    registry). Returns the directory (pki/, keys/, registry/)."""
    sec = os.path.join(daemon.tmp, "sec")
    args = [os.environ["MKSECRETS"], sec] + ([registry] if registry else [])
    p = subprocess.run(args, capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, KEYGEN=os.environ["KEYGEN"]))
    check_eq(p.returncode, 0, f"mksecrets: {p.stderr}")
    return sec


class PinnedReader:
    """An LMDB read txn held open on a data dir by another process
    (tests/integration/pin-reader.c). While it is open LMDB reuses no page
    freed after it began, so a full map stays full: every later write
    meets MAP_FULL, however small. Without it, whether a small write still
    fits after a big one failed depends on which pages the last commit
    freed."""

    def __init__(self, data_dir):
        self.proc = subprocess.Popen([os.environ["PIN_READER"], data_dir],
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        if line != "pinned":
            self.proc.kill()
            raise Failure(f"pin-reader: {line!r}")

    def close(self):
        if self.proc is not None:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
            self.proc = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


def raw_request(daemon, payload):
    """Send raw bytes as one request with nngcat; return the decoded reply
    in protobuf text format."""
    path = os.path.join(daemon.tmp, "raw-request.bin")
    with open(path, "wb") as f:
        f.write(payload)
    p = subprocess.run(["nngcat", "--req0", "--dial", daemon.api, "--raw",
                        "--file", path, "--recv-timeout", "5"],
                       capture_output=True, timeout=20)
    check_eq(p.returncode, 0, f"nngcat: {p.stderr!r}")
    return decode(p.stdout)

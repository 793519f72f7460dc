"""Connection caps under a flood of raw SP connections: subscribers are
admitted up to [security] max_connections and no further however many were
refused (the count is of what was admitted), and one address cannot take
every api connection ([security] max_connections_per_peer)."""
import os
import re
import socket
import time
import urllib.request

import harness
from harness import Daemon, free_ports, check, check_eq, main

REQ0, SUB0 = 0x30, 0x21


def sp_connect(port, proto, source="127.0.0.1"):
    """A TCP connection that completes nng's SP handshake (the daemon then
    announces the pipe) and stays open."""
    s = socket.socket()
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    s.sendall(bytes([0, ord("S"), ord("P"), 0, proto >> 8, proto & 0xff,
                     0, 0]))
    got = b""
    s.settimeout(5)
    while len(got) < 8:
        chunk = s.recv(8 - len(got))
        if not chunk:
            break
        got += chunk
    check_eq(len(got), 8, "the daemon's SP header")
    return s


def sp_refused(port, proto, source="127.0.0.1", wait=1.0):
    """True when the daemon turns a new connection away: at once (the
    guard, daemon/guard.c, before any byte) or after nng's handshake."""
    s = socket.socket()
    s.bind((source, 0))
    try:
        s.connect(("127.0.0.1", port))
        s.sendall(bytes([0, ord("S"), ord("P"), 0, proto >> 8, proto & 0xff,
                         0, 0]))
        s.settimeout(wait)
        got = b""
        while len(got) < 8:
            chunk = s.recv(8 - len(got))
            if not chunk:
                return True
            got += chunk
        return closed_by_daemon(s, wait)
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False
    finally:
        s.close()


def sp_try(port, proto):
    """An admitted connection, or None when the daemon turned it away."""
    try:
        s = sp_connect(port, proto)
    except (ConnectionResetError, BrokenPipeError, harness.Failure):
        return None
    if closed_by_daemon(s, 0.05):
        s.close()
        return None
    return s


def closed_by_daemon(s, wait=1.0):
    """True when the daemon closes the connection within wait seconds."""
    s.settimeout(wait)
    try:
        return s.recv(1) == b""
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True


def metric(d, name, labels):
    with urllib.request.urlopen(d.http + "/metrics", timeout=10) as r:
        text = r.read().decode()
    m = re.search(r"^%s\{%s\} (\d+)$" % (re.escape(name), re.escape(labels)),
                  text, re.M)
    check(m is not None, f"{name}{{{labels}}} in /metrics")
    return int(m.group(1))


def tcp_daemon(config):
    d = Daemon(config=config)
    api_port, events_port, http_port = free_ports(3)
    d.api = f"tcp://127.0.0.1:{api_port}"
    d.events = f"tcp://127.0.0.1:{events_port}"
    d.http = f"http://127.0.0.1:{http_port}"
    d.env.update(SHELTERD_API=d.api, SHELTERD_EVENTS=d.events)
    d.ports = (api_port, events_port)
    return d


def subs(d):
    return metric(d, "shelterd_subscribers", 'socket="events"')


def test_subscribers_admitted_up_to_the_cap_and_no_further():
    d = tcp_daemon("[security]\nallow_unsigned = 1\nmax_connections = 5\n")
    held = []
    try:
        d.start()
        events_port = d.ports[1]
        for _ in range(5):
            held.append(sp_connect(events_port, SUB0))
        time.sleep(0.3)
        check_eq(subs(d), 5, "five admitted")
        refused = sum(sp_refused(events_port, SUB0) for _ in range(60))
        check_eq(refused, 60, "every subscriber over the cap refused")
        time.sleep(0.3)
        check_eq(subs(d), 5, "the count after 60 refusals")
        for s in held:
            check(not closed_by_daemon(s, 0.05), "admitted ones stay")
        # Two leave: exactly two more are admitted, the third is not.
        for s in held[:2]:
            s.close()
        held = held[2:]
        time.sleep(0.3)
        check_eq(subs(d), 3, "after two left")
        for _ in range(2):
            s = sp_connect(events_port, SUB0)
            check(not closed_by_daemon(s, 0.3), "admitted again")
            held.append(s)
        check(sp_refused(events_port, SUB0), "the sixth refused")
        time.sleep(0.3)
        check_eq(subs(d), 5, "at the cap")
        log = d.read_log()
        check("subscriber refused: 5 connected" in log or
              "events connection refused: 5 connected" in log, "logged")
        d.stop()
    finally:
        for s in held:
            s.close()
        d.cleanup()


def test_one_address_cannot_take_every_api_connection():
    d = tcp_daemon("[security]\nallow_unsigned = 1\nmax_connections = 50\n"
                   "max_connections_per_peer = 4\n")
    held = []
    try:
        d.start()
        api_port = d.ports[0]
        for _ in range(4):
            held.append(sp_connect(api_port, REQ0, "127.0.0.2"))
        for s in held:
            check(not closed_by_daemon(s, 0.1), "the first four stay")
        refused = sum(sp_refused(api_port, REQ0, "127.0.0.2")
                      for _ in range(40))
        check_eq(refused, 40, "the flooder's extra connections refused")
        # Another address is served while the flooder holds its four.
        other = sp_connect(api_port, REQ0, "127.0.0.3")
        check(not closed_by_daemon(other, 0.3), "another address admitted")
        held.append(other)
        r = d.ctl("status")
        check_eq(r.rc, 0, f"a client on 127.0.0.1 is served {r}")
        check("max_connections_per_peer" in d.read_log(), "logged")
        d.stop()
    finally:
        for s in held:
            s.close()
        d.cleanup()


def test_caps_fit_the_descriptors():
    """With 256 descriptors (soft and hard), 1,024 subscribers cannot be
    held: the daemon lowers the caps to what fits ((256 - 64) / 3 sockets
    / 3 descriptors per guarded connection) instead of running out of
    descriptors under a flood."""
    d = tcp_daemon("[security]\nallow_unsigned = 1\n"
                   "max_connections_per_peer = 0\n")
    wrapper = os.path.join(d.tmp, "limited-shelterd")
    with open(wrapper, "w") as f:
        f.write(f"#!/bin/sh\nulimit -n 256\nexec {harness.BIN['SHELTERD']} "
                f"\"$@\"\n")
    os.chmod(wrapper, 0o755)
    real = harness.BIN["SHELTERD"]
    held = []
    try:
        harness.BIN["SHELTERD"] = wrapper
        d.start()
        harness.BIN["SHELTERD"] = real
        check("max_connections = 1024 each: lowered to 21" in d.read_log(),
              "the daemon says so")
        for _ in range(100):
            s = sp_try(d.ports[1], SUB0)
            if s is not None:
                held.append(s)
        time.sleep(0.5)
        check_eq(sum(not closed_by_daemon(s, 0.01) for s in held), 21,
                 "subscribers held")
        check_eq(subs(d), 21, "the count")
        check_eq(d.ctl("status").rc, 0, "the api still answers")
        d.stop()
    finally:
        harness.BIN["SHELTERD"] = real
        for s in held:
            s.close()
        d.cleanup()


if __name__ == "__main__":
    main([test_subscribers_admitted_up_to_the_cap_and_no_further,
          test_one_address_cannot_take_every_api_connection,
          test_caps_fit_the_descriptors])

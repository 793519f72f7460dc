"""tools/demo tells the truth: it fails loudly (non-zero, a message that
names the cause) when its ports are taken or its daemon does not start,
and --keep returns to the shell with the pid and how to stop it
(tools/demo --stop). Runs the real script on fresh ports with the build
under test (SHELTERD_DEMO_BUILD: nothing installed or built)."""
import os
import random
import re
import shutil
import socket
import subprocess
import tempfile

from harness import check, check_eq, main

DEMO = os.path.join(os.environ["SOURCE_ROOT"], "tools", "demo")


def three_free_ports():
    """A base port with base, base+1 and base+2 free (the demo's api,
    events and dashboard)."""
    for _ in range(200):
        base = random.randrange(20000, 60000)
        socks = []
        try:
            for p in range(base, base + 3):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", p))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise AssertionError("no three consecutive free ports")


def demo(var, port, *args, timeout=240):
    env = dict(os.environ, SHELTERD_DEMO_PORT=str(port),
               SHELTERD_DEMO_VAR=var,
               SHELTERD_DEMO_BUILD=os.environ["BUILD_ROOT"])
    return subprocess.run([DEMO, *args], env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_ports_taken_fail_loudly():
    var = tempfile.mkdtemp(prefix="shelterd-demo-")
    port = three_free_ports()
    squatter = socket.socket()
    try:
        squatter.bind(("127.0.0.1", port + 1))
        squatter.listen()
        p = demo(var, port)
        check(p.returncode != 0, f"exit status 0 with a port taken: {p}")
        check(f"port 127.0.0.1:{port + 1} is in use" in p.stderr,
              f"message: {p.stderr!r}")
        check("FAILED" in p.stderr, p.stderr)
        check("report their beds" not in p.stdout,
              f"reported anyway: {p.stdout!r}")
    finally:
        squatter.close()
        shutil.rmtree(var, ignore_errors=True)


def test_a_daemon_that_does_not_start_fails_loudly():
    var = tempfile.mkdtemp(prefix="shelterd-demo-")
    try:
        # The data dir is a file: the store cannot open.
        open(os.path.join(var, "shelterd"), "w").close()
        p = demo(var, three_free_ports())
        check(p.returncode != 0, f"exit status 0: {p}")
        check("shelterd did not start" in p.stderr, p.stderr)
        check("store" in p.stderr, f"the daemon's own reason: {p.stderr!r}")
        check("report their beds" not in p.stdout, p.stdout)
    finally:
        shutil.rmtree(var, ignore_errors=True)


def test_keep_returns_with_the_pid_and_stop_stops_it():
    var = tempfile.mkdtemp(prefix="shelterd-demo-")
    port = three_free_ports()
    pid = None
    try:
        p = demo(var, port, "--keep")
        check_eq(p.returncode, 0, f"--keep: {p}")
        m = re.search(r"keeps running \(pid (\d+)", p.stdout)
        check(m, f"pid in the output: {p.stdout!r}")
        pid = int(m.group(1))
        check("tools/demo --stop" in p.stdout, p.stdout)
        os.kill(pid, 0)  # still running after the script returned
        r = subprocess.run([os.environ["SHELTERCTL"], "--api",
                            f"tcp://127.0.0.1:{port}", "shelter",
                            "SH-UT-003"], capture_output=True, text=True,
                           timeout=20)
        check_eq(r.rc if hasattr(r, "rc") else r.returncode, 0,
                 f"the kept daemon answers: {r}")
        # A second run finds the ports taken and says how to stop it.
        p2 = demo(var, port)
        check(p2.returncode != 0 and "tools/demo --stop" in p2.stderr,
              f"second run: {p2}")
        s = demo(var, port, "--stop")
        check_eq(s.returncode, 0, f"--stop: {s}")
        check(f"pid {pid}) stopped" in s.stdout, s.stdout)
        try:
            os.kill(pid, 0)
            raise AssertionError(f"pid {pid} still running after --stop")
        except ProcessLookupError:
            pid = None
        s = demo(var, port, "--stop")
        check(s.returncode != 0 and "no daemon left running" in s.stderr,
              f"--stop twice: {s}")
    finally:
        if pid is not None:
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
        shutil.rmtree(var, ignore_errors=True)


if __name__ == "__main__":
    main([test_ports_taken_fail_loudly,
          test_a_daemon_that_does_not_start_fails_loudly,
          test_keep_returns_with_the_pid_and_stop_stops_it])

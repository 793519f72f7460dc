"""The README's commands, run as written, with their output checked.

Convention (README.md says it too): every ```sh block is run, in order,
in one bash, except the first block (`tools/demo` and `tools/test`, the
two set-up commands): tools/test would run this test again and the demo
is tested by 22-demo.py. In a run block a line starting with `$ ` is a
command (a trailing backslash continues it); the lines after it, up to
the next command, are what it prints (stdout and stderr). Each of those
lines must appear in the output, in that order, with two allowances:
times and numbers may differ (seqs, ages, counts), except inside an
identifier (a word with a capital letter: SH-GOV-004, VR14), and runs of
spaces may differ (table columns). A command must exit 0. A command
ending in `&` runs in the background, as in a terminal; its lines are
checked when the block ends (after it exits, or 10 s); the next command
runs once it printed its first line shown (ready, listening, watching).

"With the daemon running" is `build/daemon/shelterd` with no options,
started here from an empty directory, as the README says. The README's
addresses are the built-in defaults (fixed loopback ports): so that no
fixed port of this machine is used, everything runs in a network
namespace of its own (`unshare --map-root-user --net`: no root needed
where user namespaces are on), where those ports are free and nothing
else listens. The working directory is a fresh temp dir holding
`build`, `tools` and `registry` of this tree (symlinks), so `var/` and
the README's `/tmp/sec` (rewritten to the temp dir: the only rewrite)
are this run's own. A block that starts a daemon of its own (security)
comes after the README asks to stop the first: this test stops it."""
import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
import time

from harness import Failure, check, check_eq, main

SOURCE = os.environ["SOURCE_ROOT"]
BUILD = os.environ["BUILD_ROOT"]
EXEMPT = ["tools/demo", "tools/test"]


def blocks(text):
    """[(line number, [lines])] of the ```sh blocks."""
    out, cur, start = [], None, 0
    for n, line in enumerate(text.splitlines(), 1):
        if cur is None and re.match(r"^```sh\s*$", line):
            cur, start = [], n
        elif cur is not None and line.startswith("```"):
            out.append((start, cur))
            cur = None
        elif cur is not None:
            cur.append(line)
    check(cur is None, "README.md: a ```sh block is not closed")
    return out


def commands(lines, where):
    """[(command, [expected lines])] of one block."""
    out = []
    for line in lines:
        if line.startswith("$ "):
            out.append([line[2:], []])
        elif out and out[-1][0].endswith("\\"):
            out[-1][0] = out[-1][0][:-1].rstrip() + " " + line.strip()
        elif out:
            if line.strip():
                out[-1][1].append(line)
        else:
            raise Failure(f"README.md:{where}: a line before the first "
                          f"'$ ' command: {line!r}")
    return out


TIME = re.compile(r"(\d{4}-\d\d-\d\d[T ])?\d\d:\d\d:\d\d(\.\d+)?Z?")


def norm(line):
    """Times and numbers may differ (0m14s, #123, 4.7); identifiers (a
    word with a capital letter: SH-GOV-004, VR14, VR09-2026-0042) may not;
    nor may the words."""
    words = []
    for w in TIME.sub("<time>", line).split():
        words.append(w if re.search(r"[A-Z]", w) and w != "<time>"
                     else re.sub(r"\d+", "0", w))
    return " ".join(words)


def match(expected, got, what):
    """Every expected line, in order, among the lines got."""
    lines = [norm(l) for l in got.splitlines()]
    i = 0
    for e in expected:
        want = norm(e)
        while i < len(lines) and lines[i] != want:
            i += 1
        if i == len(lines):
            raise Failure(f"{what}: the README shows\n  {e}\nnot found (in "
                          f"order) in what it printed:\n{got}")
        i += 1


class Shell:
    """One bash in its own network namespace; commands one at a time."""

    MARK = "__readme_done__"

    def __init__(self, cwd, env):
        self.proc = subprocess.Popen(
            ["unshare", "--map-root-user", "--net", "bash", "--noprofile",
             "--norc"], cwd=cwd,
            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True)
        self.q = queue.Queue()
        threading.Thread(target=self.read, daemon=True).start()
        self.bg = 0

    def read(self):
        for line in self.proc.stdout:
            self.q.put(line)
        self.q.put(None)

    def run(self, cmd, timeout=60):
        """(exit status, output) of one foreground command."""
        self.proc.stdin.write(f"{cmd}\nprintf '\\n{self.MARK} %d\\n' $?\n")
        self.proc.stdin.flush()
        out, deadline = [], time.monotonic() + timeout
        while True:
            try:
                line = self.q.get(timeout=max(0.1, deadline -
                                              time.monotonic()))
            except queue.Empty:
                raise Failure(f"no end of '{cmd}' in {timeout} s: "
                              f"{''.join(out)}")
            if line is None:
                raise Failure(f"bash ended during '{cmd}': {''.join(out)}")
            if line.startswith(self.MARK):
                return int(line.split()[1]), "".join(out).rstrip("\n")
            out.append(line)

    def background(self, cmd, log, first=None):
        """Start cmd & with its output in log; its pid. Goes on once the
        output has the line first (the README's first line for it: ready,
        listening, subscribed), or any output when there is none."""
        open(log, "w").close()  # the child opens it after `echo $!`
        rc, out = self.run(f"{cmd} >>{log} 2>&1 & echo $!")
        check_eq(rc, 0, f"starting {cmd}")
        pid = int(out.split()[-1])
        deadline = time.monotonic() + 20
        while True:
            with open(log) as f:
                got = f.read()
            if (first is None and got) or (first is not None and norm(
                    first) in [norm(l) for l in got.splitlines()]):
                return pid
            check(time.monotonic() < deadline,
                  f"'{cmd}' did not print {first!r} in 20 s: {got}")
            time.sleep(0.05)

    def close(self):
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def alive(sh, pid):
    return sh.run(f"kill -0 {pid} 2>/dev/null")[0] == 0


def test_readme():
    check(shutil.which("unshare"), "unshare (util-linux) is needed")
    with open(os.path.join(SOURCE, "README.md")) as f:
        found = blocks(f.read())
    check(len(found) >= 2, "README.md has no command blocks")

    # The exempted block: exactly the two set-up commands, nothing else.
    first = [l.split("#")[0].strip() for l in found[0][1] if l.strip()]
    check_eq(first, EXEMPT, "the first block of README.md")

    tmp = tempfile.mkdtemp(prefix="shelterd-readme-")
    for name, path in (("build", BUILD), ("tools", f"{SOURCE}/tools"),
                       ("registry", f"{SOURCE}/registry")):
        os.symlink(path, os.path.join(tmp, name))
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("SHELTERD_")}
    env.update(HOME=tmp, XDG_STATE_HOME=os.path.join(tmp, "state"),
               TZ="UTC")
    sh = Shell(tmp, env)
    bgs = []
    try:
        check_eq(sh.run("ip link set lo up")[0], 0, "loopback in the "
                 "namespace")
        # "With the daemon running (... or build/daemon/shelterd)".
        daemon = sh.background("build/daemon/shelterd",
                               os.path.join(tmp, "shelterd.log"))
        deadline = time.monotonic() + 20
        while sh.run("build/tools/shelterctl ping >/dev/null 2>&1")[0]:
            check(time.monotonic() < deadline and alive(sh, daemon),
                  "build/daemon/shelterd does not answer")
            time.sleep(0.1)

        ran = 0
        for start, lines in found[1:]:
            block = []
            cmds = commands(lines, start)
            if daemon and any(re.match(r"build/daemon/shelterd\b", c)
                              for c, _ in cmds):
                # A block that starts its own daemon: the README asks to
                # stop the first one (same ports).
                rc, _ = sh.run(f"kill -TERM {daemon}; wait {daemon}")
                check_eq(rc, 0, "build/daemon/shelterd exit status")
                daemon = None
            for cmd, expected in cmds:
                cmd = cmd.replace("/tmp/sec", f"{tmp}/sec")
                expected = [e.replace("/tmp/sec", f"{tmp}/sec")
                            for e in expected]
                what = f"README.md:{start}: $ {cmd}"
                m = re.match(r"^(.*?[^&])&\s*(#.*)?$", cmd)
                if m:
                    log = os.path.join(tmp, f"bg{len(bgs)}.out")
                    pid = sh.background(m.group(1), log, expected[0]
                                        if expected else None)
                    bgs.append(pid)
                    block.append((pid, log, expected, what))
                else:
                    rc, out = sh.run(cmd)
                    if os.environ.get("README_SHOW"):
                        print(f"$ {cmd}\n{out}")
                    check_eq(rc, 0, f"{what}: exit status\n{out}")
                    match(expected, out, what)
                ran += 1
            for pid, log, expected, what in block:
                deadline = time.monotonic() + 10
                while alive(sh, pid) and time.monotonic() < deadline:
                    time.sleep(0.1)
                with open(log) as f:
                    got = f.read()
                if os.environ.get("README_SHOW"):
                    print(f"$ {what} (background)\n{got}")
                match(expected, got, what)
        check(ran >= 10, f"only {ran} README commands ran")
        print(f"{ran} README commands ran and printed what it shows")

        # The daemon the README started stops cleanly.
        for pid in bgs:
            sh.run(f"kill {pid} 2>/dev/null; wait {pid}")
        if daemon:
            rc, out = sh.run(f"kill -TERM {daemon}; wait {daemon}")
            check_eq(rc, 0, "build/daemon/shelterd exit status")
    finally:
        try:
            sh.run("kill $(jobs -p) 2>/dev/null; true", timeout=10)
        except Failure:
            pass
        sh.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main([test_readme])

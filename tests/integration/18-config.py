"""The configuration says what it does: shelterd.conf.example is what
`shelterd --print-config-example` prints (the table `--help` and the parser
read), `--check-config` validates a file and prints the effective
configuration, and signing is on or off only because a key says so."""
import os
import subprocess

from harness import Daemon, TEST_REGISTRY, check, check_eq, main

SHELTERD = os.environ["SHELTERD"]
EXAMPLE = os.path.join(os.environ["SOURCE_ROOT"], "shelterd.conf.example")


def run(*args, cwd=None):
    return subprocess.run([SHELTERD, *args], capture_output=True, text=True,
                          timeout=30, cwd=cwd)


def write(d, name, text):
    path = os.path.join(d.tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def keys_of(ini):
    """{(section, key): value} of an INI text (comments skipped)."""
    out, section = {}, None
    for line in ini.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        k, _, v = line.partition("=")
        out[(section, k.strip())] = v.strip()
    return out


def test_example_is_generated_from_the_table():
    p = run("--print-config-example")
    check_eq(p.returncode, 0, "--print-config-example")
    with open(EXAMPLE) as f:
        committed = f.read()
    check(p.stdout == committed,
          "shelterd.conf.example differs from `shelterd "
          "--print-config-example` (regenerate it: build/daemon/shelterd "
          "--print-config-example > shelterd.conf.example)")
    # Every key of --help is in it, with the same default.
    h = run("--help").stdout
    ex = keys_of(committed)
    section = None
    n = 0
    # The table: from its title to the first empty line.
    table = h.split("Config file keys")[1].split("\n\n")[0]
    for line in table.splitlines():
        s = line.strip()
        if s.startswith("[") and s.endswith("]"):
            section = s.strip("[]")
        elif section and " = " in s:
            key, _, rest = s.partition(" = ")
            default = rest.split("  ")[0].strip()
            if default in ("start", "SIGHUP"):
                default = ""
            check_eq(ex.get((section, key.strip())), default,
                     f"[{section}] {key.strip()} in the example")
            n += 1
    check(n >= 40, f"only {n} keys in --help")
    for when in ("Applies at start", "Applies at SIGHUP"):
        check(when in committed, f"{when!r} in the example")
    for sec in ("[security]", "[tls]", "[http]", "[history]"):
        check(sec in committed, f"{sec} in the example")


def test_check_config_on_the_example():
    d = Daemon()
    try:
        p = run("--check-config", "-c", EXAMPLE, cwd=d.tmp)
        check_eq(p.returncode, 0, f"check-config: {p.stderr}")
        check("configuration OK" in p.stderr, p.stderr)
        eff = keys_of(p.stdout)
        check_eq(eff, keys_of(open(EXAMPLE).read()),
                 "effective configuration of the example")
        # Flags win over the file, as when the daemon runs.
        p = run("--check-config", "-c", EXAMPLE, "--api",
                f"ipc://{d.tmp}/a.sock", "-l", "debug")
        check_eq(p.returncode, 0, p.stderr)
        eff = keys_of(p.stdout)
        check_eq(eff[("daemon", "api_url")], f"ipc://{d.tmp}/a.sock", "flag")
        check_eq(eff[("daemon", "log_level")], "debug", "flag")
        # The token is set but never printed.
        path = write(d, "tok.conf", "[http]\ntoken = s3cr3t-s3cr3t-s3cr3t\n")
        p = run("--check-config", "-c", path)
        check_eq(p.returncode, 0, p.stderr)
        check("s3cr3t" not in p.stdout, "token printed")
        check("token is set (20 characters" in p.stdout, p.stdout)
        # Nothing was created: no store, no socket.
        check(not os.path.exists(os.path.join(d.tmp, "var")),
              "check-config opened the store")
    finally:
        d.cleanup()


def test_check_config_on_broken_files():
    d = Daemon()
    try:
        cases = [
            ("[escalation]\nregion_warning_pct = 90\nregion_critical = 95\n",
             "line 3: unknown setting [escalation] region_critical"),
            ("[daemon]\ntick_ms = 10\n",
             "line 2: [daemon] tick_ms: '10' is not a whole number from 50"),
            ("[daemon]\nthis is not ini\n", "line 2: not an INI line"),
            ("[escalation]\nregion_warning_pct = 99\n"
             "region_critical_pct = 95\n", "warning"),
            ("[daemon]\nlog_level = loud\n", "log_level must be"),
        ]
        for text, want in cases:
            path = write(d, "broken.conf", text)
            p = run("--check-config", "-c", path)
            check_eq(p.returncode, 1, f"check-config on {text!r}: {p!r}")
            check(want in p.stderr, f"{want!r} not in {p.stderr!r}")
            check_eq(p.stdout, "", "nothing printed for a broken file")
            # The daemon refuses it the same way.
            p = run("-c", path, "--data-dir", os.path.join(d.tmp, "x"),
                    "--api", f"ipc://{d.tmp}/x.sock", "--events",
                    f"ipc://{d.tmp}/y.sock", "--http", "")
            check(p.returncode != 0 and want in p.stderr,
                  f"daemon on {text!r}: {p!r}")
        p = run("--check-config", "-c", os.path.join(d.tmp, "missing.conf"))
        check_eq(p.returncode, 1, "missing file")
        check("cannot open" in p.stderr, p.stderr)
    finally:
        d.cleanup()


def test_a_config_file_does_not_turn_signing_on():
    # A file that does not mention allow_unsigned keeps the default that
    # --help shows (1, on a loopback api): unsigned requests work.
    d = Daemon(config="[security]\nmax_clock_skew_secs = 120\n"
               "[escalation]\nregion_warning_pct = 80\n")
    try:
        d.start()
        r = d.ctl("regions")
        check_eq(r.rc, 0, f"unsigned request refused: {r!r}")
        d.stop()
    finally:
        d.cleanup()


def test_signing_without_keys_refuses_to_start():
    d = Daemon(config="[security]\nallow_unsigned = 0\n",
               registry=TEST_REGISTRY)
    try:
        want = "[security] allow_unsigned"
        p = run("--check-config", "-c", write(d, "s.conf", d.config),
                "--registry", TEST_REGISTRY)
        check_eq(p.returncode, 1, f"check-config: {p!r}")
        check("has no keys" in p.stderr and want in p.stderr, p.stderr)
        try:
            d.start()
            raise AssertionError("shelterd started with signing and no keys")
        except Exception as e:
            check("exited with 1" in str(e), str(e))
        log = d.read_log()
        check("has no keys" in log and "keys.csv" in log and want in log,
              log)
    finally:
        d.cleanup()


def test_unsigned_beyond_loopback_refused():
    d = Daemon()
    try:
        path = write(d, "open.conf", "[daemon]\napi_url = tcp://0.0.0.0:1\n")
        p = run("--check-config", "-c", path)
        check_eq(p.returncode, 1, f"check-config: {p!r}")
        check("allow_unsigned = 1 is only for a loopback" in p.stderr and
              "set [security] allow_unsigned = 0" in p.stderr, p.stderr)
    finally:
        d.cleanup()


if __name__ == "__main__":
    main([test_example_is_generated_from_the_table,
          test_check_config_on_the_example,
          test_check_config_on_broken_files,
          test_a_config_file_does_not_turn_signing_on,
          test_signing_without_keys_refuses_to_start,
          test_unsigned_beyond_loopback_refused])

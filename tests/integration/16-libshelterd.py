"""libshelterd (issue 9): `meson install` into a temporary root, then build
clients/examples/beds.c against the installed library with nothing but
`pkg-config --cflags --libs shelterd`, and run it against a real daemon."""
import glob
import os
import shlex
import subprocess

from harness import Daemon, check, check_eq, main

BUILD = os.environ["BUILD_ROOT"]
SOURCE = os.environ["SOURCE_ROOT"]


def test_install_and_build_the_example():
    d = Daemon()
    try:
        root = os.path.join(d.tmp, "root")
        p = subprocess.run(
            [os.environ["MESON"], "install", "-C", BUILD, "--no-rebuild",
             "--destdir", root, "--tags", "devel,runtime"],
            capture_output=True, text=True, timeout=60)
        check_eq(p.returncode, 0, f"meson install: {p.stdout}{p.stderr}")
        pcs = glob.glob(os.path.join(root, "**", "shelterd.pc"),
                        recursive=True)
        check_eq(len(pcs), 1, "one shelterd.pc installed")
        check(os.path.exists(os.path.join(os.path.dirname(pcs[0]), "..",
                                          "libshelterd.so")),
              "the library beside its pkgconfig dir")
        # The .pc names the configured prefix; the sysroot points it into
        # the temporary root, as for any staged install.
        env = dict(os.environ, PKG_CONFIG_PATH=os.path.dirname(pcs[0]),
                   PKG_CONFIG_SYSROOT_DIR=root)
        p = subprocess.run(["pkg-config", "--cflags", "--libs", "shelterd"],
                           env=env, capture_output=True, text=True,
                           timeout=20)
        check_eq(p.returncode, 0, f"pkg-config: {p.stderr}")
        flags = shlex.split(p.stdout)
        check(any(f.startswith("-I" + root) for f in flags),
              f"headers from the install: {flags}")
        san = os.environ.get("B_SANITIZE", "none")
        extra = [] if san == "none" else [f"-fsanitize={san}"]
        exe = os.path.join(d.tmp, "beds")
        p = subprocess.run(
            ["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", *extra,
             os.path.join(SOURCE, "clients", "examples", "beds.c"),
             "-o", exe, *flags], capture_output=True, text=True,
            timeout=60)
        check_eq(p.returncode, 0, f"cc: {p.stderr}")

        d.start()
        libdir = os.path.dirname(os.path.dirname(pcs[0]))
        p = subprocess.run([exe, "SH-UT-003", "women", "4", "3"],
                           env=dict(d.env, LD_LIBRARY_PATH=libdir),
                           capture_output=True, text=True, timeout=20)
        check_eq(p.returncode, 0, f"the example: {p.stderr}")
        check("SH-UT-003 seq" in p.stdout and "stored" in p.stdout,
              p.stdout)
        check(" women: " in p.stdout and " free" in p.stdout, p.stdout)
        sh = d.ctl("--json", "shelter", "SH-UT-003").json()
        check_eq(sh["beds"]["women"]["occupied"], 3, "reported through "
                 "the installed library")
        d.stop()
    finally:
        d.cleanup()


if __name__ == "__main__":
    main([test_install_and_build_the_example])

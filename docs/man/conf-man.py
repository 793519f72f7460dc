"""shelterd.conf(5) from its hand-written head and tail and the KEYS of
shelterd.conf.example (itself printed from daemon/config.c's table), so
the man page cannot list other keys than the daemon reads.

usage: conf-man.py HEAD.scd EXAMPLE TAIL.scd SCDOC OUTPUT"""
import subprocess
import sys


def esc(text):
    """scdoc's inline markup characters, literally."""
    return text.replace("\\", "\\\\").replace("*", "\\*").replace(
        "_", "\\_")


def keys_scd(example):
    out, comment = [], []
    for line in example.splitlines():
        s = line.strip()
        if s.startswith("#"):
            comment.append(s[1:].strip())
        elif s.startswith("["):
            out.append(f"\n## {s}\n")
            comment = []
        elif "=" in s:
            key, _, value = s.partition("=")
            value = value.strip()
            shown = f"_{esc(value)}_" if value else "(empty)"
            text = esc(" ".join(c for c in comment if c))
            out.append(f"*{esc(key.strip())}* = {shown}\n\t{text}\n")
            comment = []
        else:
            comment = []
    return "\n".join(out)


def main():
    head, example, tail, scdoc, output = sys.argv[1:]
    with open(example) as f:
        ex = f.read()
    # The example's preamble is for the file; the page has its own.
    body = ex[ex.index("\n[") + 1:]
    text = open(head).read() + keys_scd(body) + open(tail).read()
    with open(output, "w") as f:
        subprocess.run([scdoc], input=text.encode(), stdout=f, check=True)


main()

#!/usr/bin/env python3
"""Runs `ehr init` on a pseudo-terminal, as a person would (tests/e2e/wallet.sh).

usage: init-tty.py MODE WORDS_OUT COMMAND...
  MODE right: every word asked for is typed right; once: the first answer is
  wrong, the rest right; wrong: every answer is wrong; none: no check is
  expected (--yes), nothing is typed.
The words shown are written to WORDS_OUT (one line), the transcript to
stdout; the exit status is the command's. A command that prints nothing
for 120 seconds is killed and the script exits 124, so a prompt that
never comes fails the test instead of hanging the run."""
import os
import pty
import re
import select
import signal
import sys

mode, words_out, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)

seen = b""


def read_more():
    global seen
    if not select.select([fd], [], [], 120)[0]:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        sys.stdout.write(seen.decode(errors="replace") + "\n[no output for 120 s: killed]\n")
        sys.exit(124)
    try:
        data = os.read(fd, 4096)
    except OSError:
        data = b""
    seen += data
    return bool(data)


def wait_for(pattern, start):
    while True:
        m = re.compile(pattern).search(seen, start)
        if m:
            return m
        if not read_more():
            return None


def shown_words():
    return [w.decode() for _, w in sorted((int(n), w) for n, w in re.findall(rb"(\d+)\. +([a-z]+)", seen))]


pos = 0
if mode != "none":
    m = wait_for(rb"Press Enter", 0)
    if m:
        words = shown_words()
        os.write(fd, b"\n")
        pos = m.end()
        answers = 0
        while True:
            m = wait_for(rb"word #(\d+): ", pos)
            if not m:
                break
            pos = m.end()
            n = int(m.group(1))
            right = mode == "right" or (mode == "once" and answers > 0)
            os.write(fd, (words[n - 1] if right else "zebra").encode() + b"\n")
            answers += 1
while read_more():
    pass
_, status = os.waitpid(pid, 0)
with open(words_out, "w") as f:
    f.write(" ".join(shown_words()) + "\n")
sys.stdout.write(seen.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))

"""The `sdc sql` prompt on a pseudo-terminal, without a workspace: Ctrl-C typed right after a key drops the line
at once. (CPython's readline loop sees a signal only when its select() is interrupted; a Ctrl-C landing while
readline handled the previous key waited for the next key — about one time in three when typed at once.)"""

import os
import pty
import select
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHILD = """
import sys
from sdc.shell import interactive
interactive(lambda text: print("ran", text.strip()) or True, lambda line: False, None)
"""


class Prompt:
    def __init__(self) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # pragma: no cover - the child
            os.chdir(ROOT)
            os.execve(sys.executable, [sys.executable, "-c", CHILD], {**os.environ, "TERM": "dumb"})
        self.seen = b""

    def expect(self, text: str, timeout: float = 10) -> str:
        end = time.monotonic() + timeout
        while text.encode() not in self.seen:
            assert time.monotonic() < end, f"no {text!r} within {timeout} s in {self.seen.decode(errors='replace')!r}"
            if select.select([self.fd], [], [], 0.05)[0]:
                self.seen += os.read(self.fd, 65536)
        shown, _, self.seen = self.seen.partition(text.encode())
        return shown.decode(errors="replace") + text

    def type(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def close(self) -> None:
        """Ctrl-D quits an empty line; a shell still waiting after that is killed (a failed test)."""
        self.type("\x04")
        end = time.monotonic() + 5
        while os.waitpid(self.pid, os.WNOHANG) == (0, 0):
            if time.monotonic() > end:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
                break
            time.sleep(0.05)
        os.close(self.fd)


def test_ctrl_c_right_after_a_key_drops_the_line_at_once():
    for i in range(12):  # each a one-in-three chance to meet the race without the tick (a fresh prompt meets it)
        prompt = Prompt()
        try:
            prompt.expect("sdc> ")
            prompt.type(f"select {i} half")
            prompt.expect(f"{i} half")
            prompt.type("\x03")
            assert "^C" in prompt.expect("sdc> ", timeout=5)
            prompt.type("select 42;\n")
            assert "ran select 42;" in prompt.expect("sdc> ")
        finally:
            prompt.close()

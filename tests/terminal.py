"""A program on a pseudo-terminal, driven as a person types into it (the `sdc sql` shell's tests)."""

from __future__ import annotations

import os
import pty
import select
import signal
import time


class Terminal:
    def __init__(self, argv: list[str], env: dict[str, str], cwd: str | None = None) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # pragma: no cover - the child
            if cwd is not None:
                os.chdir(cwd)
            os.execve(argv[0], argv, {**env, "TERM": "dumb"})
        self.seen = b""

    def expect(self, text: str, timeout: float = 30) -> str:
        """Everything shown up to and including `text`."""
        end = time.monotonic() + timeout
        while text.encode() not in self.seen:
            assert time.monotonic() < end, f"no {text!r} within {timeout} s in {self.seen.decode(errors='replace')!r}"
            if select.select([self.fd], [], [], 0.05)[0]:
                self.seen += os.read(self.fd, 65536)
        shown, _, self.seen = self.seen.partition(text.encode())
        return shown.decode(errors="replace") + text

    def type(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def exit_code(self, timeout: float = 30) -> int:
        """After the program was told to quit; one still running after `timeout` is killed (a failed test).
        Waited for before the terminal closes: closing it would hang the program up."""
        end = time.monotonic() + timeout
        while (status := os.waitpid(self.pid, os.WNOHANG))[0] == 0:
            if time.monotonic() > end:
                os.kill(self.pid, signal.SIGKILL)
                status = os.waitpid(self.pid, 0)
                break
            time.sleep(0.05)
        os.close(self.fd)
        return os.waitstatus_to_exitcode(status[1])

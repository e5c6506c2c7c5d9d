"""The interactive prompt of `sdc sql`: line editing and history (GNU readline from the standard library),
statements run when a line ends with `;`, meta-commands (`\\d`, `describe`) at once, Ctrl-C cancels the
statement being typed or run (not the shell), Ctrl-D or `\\q` quits."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path

PROMPT, CONTINUATION = "sdc> ", "...> "
QUIT = {"\\q", "quit", "exit"}
HISTORY_LENGTH = 2000
# CPython's readline loop looks at signals only when its select() is interrupted: a Ctrl-C that lands while
# readline is handling the key before it (typed right after it) waits for the next key. A tick interrupts the
# select often enough for that Ctrl-C to act at once.
SIGNAL_TICK_S = 0.1


def interactive(run: Callable[[str], bool], is_command: Callable[[str], bool], history: Path | None) -> bool:
    """Read statements until end of input; `run(text)` runs one piece and says whether it succeeded,
    `is_command(line)` tells a meta-command that needs no `;`. True when every piece succeeded."""
    import readline

    _own_ctrl_c()
    if history is not None and history.exists():
        readline.read_history_file(history)
    readline.set_history_length(HISTORY_LENGTH)
    buffer: list[str] = []
    ok = True
    try:
        while True:
            try:
                with _signal_ticks():
                    line = input(CONTINUATION if buffer else PROMPT)
            except KeyboardInterrupt:  # drop what was typed, stay in the shell
                print("^C", file=sys.stderr)
                buffer.clear()
                continue
            except EOFError:
                print()
                break
            if not buffer and line.strip() in QUIT:
                break
            if not buffer and not line.strip():
                continue
            buffer.append(line)
            if (len(buffer) == 1 and is_command(line)) or line.rstrip().endswith(";"):
                text = "\n".join(buffer)
                buffer.clear()
                ok = run(text) and ok
    finally:
        if history is not None:
            try:
                readline.write_history_file(history)
            except OSError as exc:
                print(f"history not kept: {exc}", file=sys.stderr)
    return ok


def _own_ctrl_c() -> None:
    """Ctrl-C is the shell's own key. A process started with SIGINT ignored (a script's background job, nohup: the
    ignore is inherited) would otherwise show a prompt that no Ctrl-C reaches."""
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@contextlib.contextmanager
def _signal_ticks():
    """SIGALRM every SIGNAL_TICK_S while waiting for keys (never while a statement runs)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGALRM, lambda *_: None)
    signal.setitimer(signal.ITIMER_REAL, SIGNAL_TICK_S, SIGNAL_TICK_S)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)

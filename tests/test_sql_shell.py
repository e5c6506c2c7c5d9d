"""The `sdc sql` prompt on a pseudo-terminal, without a workspace: Ctrl-C typed right after a key drops the line
at once. (CPython's readline loop sees a signal only when its select() is interrupted; a Ctrl-C landing while
readline handled the previous key waited for the next key — about one time in three when typed at once.)"""

import os
import signal
import sys
from pathlib import Path

import pytest
from terminal import Terminal

ROOT = Path(__file__).resolve().parents[1]
CHILD = """
import sys
from sdc.shell import interactive
interactive(lambda text: print("ran", text.strip()) or True, lambda line: False, None)
"""


@pytest.fixture(params=["sigint as usual", "sigint ignored by the parent"])
def parent_sigint(request):
    """The shell as a terminal starts it, and as a script's background job or nohup would (SIGINT ignored: the
    ignore is inherited by every process it starts)."""
    if request.param == "sigint as usual":
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def test_ctrl_c_right_after_a_key_drops_the_line_at_once(parent_sigint):
    for i in range(12):  # each a one-in-three chance to meet the race without the tick (a fresh prompt meets it)
        prompt = Terminal([sys.executable, "-c", CHILD], dict(os.environ), cwd=str(ROOT))
        try:
            prompt.expect("sdc> ", timeout=10)
            prompt.type(f"select {i} half")
            prompt.expect(f"{i} half")
            prompt.type("\x03")
            assert "^C" in prompt.expect("sdc> ", timeout=5)
            prompt.type("select 42;\n")
            assert "ran select 42;" in prompt.expect("sdc> ")
        finally:
            prompt.type("\x04")  # Ctrl-D on an empty line quits
            prompt.exit_code(timeout=5)

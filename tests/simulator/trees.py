"""A delivery tree's content as one hash: the simulator's determinism tests compare two runs by it. (A module
of its own: `from conftest import` would find whichever conftest.py pytest imported first.)"""

import hashlib
from pathlib import Path


def tree_hash(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(root)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()

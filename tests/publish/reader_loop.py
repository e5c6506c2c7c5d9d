"""A reader of the published marts, as a dashboard would be: over and over, open a session the way
`sdc sql` does (masked view by default), read every published table, close. One JSON line per read:
the publish seen, rows and a content fingerprint per table, latency — or the error.

    python reader_loop.py OUT.jsonl STOP_FILE [full|masked] [PAUSE_SECONDS]

Runs until STOP_FILE exists, pausing PAUSE_SECONDS (default 0.05) between reads as a polling
dashboard would (and so that two readers leave the load some of a 2-core machine).
Used by the concurrency tests and by bench/reader_latency.py.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from sdc_settings import load_settings
from warehouse.reader import open_published


def read_state(session) -> dict[str, list[int]]:
    """Rows and an order-independent fingerprint of every published table of a session."""
    state = {}
    for table in session.views:
        query = f'SELECT count(*), coalesce(bit_xor(hash(t)), 0) FROM "{table}" AS t'
        rows, fingerprint = session.execute(query).fetchone()
        state[table] = [int(rows), int(fingerprint)]
    return state


def main() -> None:
    out, stop = Path(sys.argv[1]), Path(sys.argv[2])
    audience = sys.argv[3] if len(sys.argv) > 3 else "masked"
    pause = float(sys.argv[4]) if len(sys.argv) > 4 else 0.05
    settings = load_settings(os.environ)
    with out.open("a", encoding="utf-8") as f:
        while not stop.exists():
            started = time.perf_counter()
            try:
                with open_published(settings, audience=audience) as session:
                    record = {"publish_id": session.entry.publish_id, "state": read_state(session)}
            except Exception as exc:  # every failure is a finding, never a crash of the loop
                record = {"error": f"{type(exc).__name__}: {exc}"}
            record["latency_ms"] = (time.perf_counter() - started) * 1000
            record["at"] = time.time()
            f.write(json.dumps(record) + "\n")
            f.flush()
            time.sleep(pause)


if __name__ == "__main__":
    main()

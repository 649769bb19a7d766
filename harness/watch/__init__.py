"""`harness watch RUN_DIR`: a terminal UI that follows a live run (or opens a finished one) by reading
its event log, and pauses / resumes / stops it through control requests. See `app.py`."""

from __future__ import annotations

import argparse
import contextlib
import os


def main(args: argparse.Namespace) -> int:
    from harness.watch.app import WatchApp

    poll = float(getattr(args, "poll", 0.5))
    if not poll > 0:
        raise ValueError(f"--poll must be a positive number of seconds, not {poll}")
    app = WatchApp(args.run_dir, poll=poll)  # a bad run directory raises StoreError here: one line
    with contextlib.suppress(OSError):  # a viewer: on a busy machine the run it watches keeps the CPU
        os.nice(10)
    app.run()
    return 0

"""Pause / resume / stop requests, written into the run's log by `harness control` (or the TUI) and
honoured by the loop at step boundaries. The loop polls with one indexed query per step."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from harness.log.events import ControlApplied, ControlRequest
from harness.log.store import RunStore


class StopRequested(Exception):
    pass


def request(run_dir: Path, action: str, source: str = "cli") -> ControlRequest:
    """Append a control request to a run (live or not); the run honours it at its next step boundary."""
    store = RunStore(run_dir)
    try:
        event = ControlRequest(action=action, source=source)  # type: ignore[arg-type]
        store.append(event)
        return event
    finally:
        store.close()


class Control:
    def __init__(self, store: RunStore, say: Callable[[str], None], poll_s: float = 0.5) -> None:
        self.store, self.say, self.poll_s = store, say, poll_s
        self.after = store.last_seq()  # requests written before this process started are stale

    def _requests(self) -> list[ControlRequest]:
        found = self.store.tail(self.after, "control_request")
        if found:
            self.after = found[-1][0]
        return [e for _, e in found if isinstance(e, ControlRequest)]

    def check(self, step: int) -> None:
        """Honour pending requests: pause blocks here until resume or stop; stop raises StopRequested."""
        paused = False
        while True:
            for req in self._requests():
                if req.action == "stop":
                    self.store.append(ControlApplied(action="stop", request_id=req.id, step=step))
                    raise StopRequested(f"stop requested ({req.source})")
                if req.action == "pause" and not paused:
                    paused = True
                    self.store.append(ControlApplied(action="pause", request_id=req.id, step=step))
                    self.say(f"paused at step {step} ({req.source}); `harness control RUN resume` continues")
                elif req.action == "resume" and paused:
                    paused = False
                    self.store.append(ControlApplied(action="resume", request_id=req.id, step=step))
                    self.say(f"resumed at step {step}")
            if not paused:
                return
            time.sleep(self.poll_s)

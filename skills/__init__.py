"""Code skills: model-written Python that drives the game through a narrow API, run in a sandbox.

sandbox.py runs one skill, `def run(game, args)`, in bubblewrap (no network, no host files, no environment,
an unprivileged uid, rlimits, a wall-clock kill) and serves its `game` calls (press / state / text_map /
wait) from the caller's `GameBridge`, with caps on presses and calls. `sandbox_problem()` says in one line
why a sandbox cannot start here (callers then refuse code skills; code never runs unconfined), and
`check_code()` vets a skill's source without running it. _runner.py is the half that runs inside the sandbox.
"""

from __future__ import annotations

from skills.sandbox import GameBridge, Limits, SandboxResult, check_code, run_code, sandbox_problem

__all__ = ["GameBridge", "Limits", "SandboxResult", "check_code", "run_code", "sandbox_problem"]

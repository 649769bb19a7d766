"""`python -m bench`: run every benchmark; results land in bench/results/*.json."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    for script in ("bench_env.py", "bench_gba.py", "bench_web.py", "bench_desktop.py", "bench_loop.py",
                   "bench_local.py", "fault_campaign.py"):
        print(f"== {script}", flush=True)
        subprocess.run([sys.executable, str(HERE / script)], check=True)

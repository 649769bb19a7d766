"""Building the in-repo games from source: what envs/gameboy/quest/build.py (SDCC) and envs/gba/quest/build.py
(arm-none-eabi-gcc) share.

A `RomBuild` knows where its ROM and symbols file go, which source files they come from, which tools it needs
and how to build; `ensure_built()` rebuilds when either output is missing or older than a source, under a file
lock (parallel test workers may all ask at once; only one compiles). A build writes into a temporary folder
and moves its outputs into place, so a killed build leaves the last good ROM. `main()` is the command line
(`python -m envs.<platform>.quest.build [--force]`).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def run_tool(cmd: list[str], cwd: Path) -> str:
    """Run one toolchain step; its stdout, or RuntimeError with the tool's own complaint."""
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip()
        raise RuntimeError(f"{cmd[0]} failed ({proc.returncode}): {detail}")
    return proc.stdout


def c_ident(name: str) -> str:
    """A name as a C macro suffix: "old key" -> "OLD_KEY"."""
    return re.sub(r"\W", "_", name).upper()


@dataclass(frozen=True)
class RomBuild:
    build_dir: Path
    rom_name: str
    symbols_name: str
    tools: tuple[str, ...]
    install_hint: str  # how to get the tools, e.g. "install SDCC with `apt-get install -y sdcc`"
    sources: Callable[[], list[Path]]
    build: Callable[[Path], None]  # builds into the given temporary folder; writes rom_name and symbols_name
    keep: tuple[str, ...] = ()  # other outputs worth keeping beside them (map file, generated sources)

    @property
    def rom_path(self) -> Path:
        return self.build_dir / self.rom_name

    @property
    def symbols_path(self) -> Path:
        return self.build_dir / self.symbols_name

    def is_stale(self) -> bool:
        rom, syms = self.rom_path, self.symbols_path
        if not rom.exists() or not syms.exists():
            return True
        built = min(rom.stat().st_mtime, syms.stat().st_mtime)
        return any(src.stat().st_mtime > built for src in self.sources())

    def ensure_built(self, force: bool = False) -> Path:
        """Build the ROM if it is missing or older than its sources; return its path."""
        self.build_dir.mkdir(parents=True, exist_ok=True)
        with self._lock():
            if force or self.is_stale():
                self.rebuild()
        return self.rom_path

    def rebuild(self) -> Path:
        """Build in a temporary folder, then move the outputs (the ROM and symbols last) into build_dir."""
        missing = [t for t in self.tools if shutil.which(t) is None]
        if missing:
            raise RuntimeError(f"{', '.join(missing)} not found: {self.install_hint}")
        self.build_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.build_dir, prefix="tmp-") as name:
            tmp = Path(name)
            self.build(tmp)
            for out in (*self.keep, self.symbols_name, self.rom_name):
                (tmp / out).replace(self.build_dir / out)
        return self.rom_path

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        with open(self.build_dir / ".lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def main(self, prog: str, description: str, argv: list[str] | None = None) -> int:
        parser = argparse.ArgumentParser(prog=prog, description=description)
        parser.add_argument("--force", action="store_true", help="rebuild even if the ROM is up to date")
        args = parser.parse_args(argv)
        try:
            rom = self.ensure_built(force=args.force)
        except RuntimeError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(rom)
        return 0


def load_symbols(rom: bytes, path: Path, *, game: str, module: str, rom_file: str,
                 milestones: tuple[str, ...]) -> dict[str, Any]:
    """An in-repo game's symbols file, checked against the ROM in hand (its SHA-1) and against the milestone
    list the adapter was written for; each mismatch is one RomError line that says how to rebuild."""
    from envs.base import RomError

    try:
        doc = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise RomError(f"{path} missing: build the game with `python -m {module}`") from None
    if doc["rom"]["sha1"] != hashlib.sha1(rom).hexdigest():
        raise RomError(f"this {game} ROM is not the build its symbols file describes: rebuild with "
                       f"`python -m {module}` and use build/{rom_file}")
    if tuple(doc["milestones"]) != milestones:
        raise RomError(f"{Path(path).name} lists milestones {doc['milestones']}; adapter expects {milestones}")
    return doc

"""Env names -> GameBoyEnv construction, and the gymnasium ids.

`make_env("quest")` runs the in-repo homebrew ROM (built from source on first use); the Pokémon
names need the user's own ROM file (commercial ROMs cannot be shipped).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium

from envs.gameboy.adapters import ADAPTERS
from envs.base import RomError
from envs.gameboy.env import GameBoyEnv

GYM_IDS: dict[str, str] = {
    "quest": "harness/Quest-v0",
    "pokered": "harness/PokemonRed-v0",
    "pokeyellow": "harness/PokemonYellow-v0",
    "pokecrystal": "harness/PokemonCrystal-v0",
}
BUNDLED_ROMS = {"quest"}  # built from this repo's source; every other game is bring-your-own


def make_env(name: str, rom: str | Path | None = None, **kw: Any) -> GameBoyEnv:
    """A GameBoyEnv for adapter short name `name`; extra keywords go to GameBoyEnv."""
    if name not in ADAPTERS:
        raise RomError(f"unknown env {name!r}; known: {', '.join(ADAPTERS)}")
    if rom is None:
        if name not in BUNDLED_ROMS:
            raise RomError(f"{name} needs --rom FILE (bring your own ROM)")
        from envs.gameboy.quest.build import ensure_built  # imported late: it may compile the ROM

        rom = ensure_built()
    return GameBoyEnv(rom, game=name, **kw)


def register_envs() -> None:
    """Register the gymnasium ids (idempotent): gymnasium.make("harness/PokemonRed-v0", rom=...)."""
    for name, env_id in GYM_IDS.items():
        if env_id not in gymnasium.registry:
            gymnasium.register(id=env_id, entry_point="envs.registry:make_env", kwargs={"name": name})


register_envs()

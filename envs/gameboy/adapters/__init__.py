"""Game adapters by short name -> "module:Class". Imported lazily."""

from __future__ import annotations

import importlib

from envs.gameboy.game import GameAdapter, RomError

ADAPTERS: dict[str, str] = {
    "quest": "envs.gameboy.adapters.quest:QuestAdapter",
    "pokered": "envs.gameboy.adapters.pokered:PokeRedAdapter",  # Red and Blue: one engine
    "pokeyellow": "envs.gameboy.adapters.pokered:PokeYellowAdapter",
    "pokecrystal": "envs.gameboy.adapters.pokecrystal:PokeCrystalAdapter",
}


def adapter_class(name: str) -> type[GameAdapter]:
    try:
        target = ADAPTERS[name]
    except KeyError:
        raise RomError(f"unknown game {name!r}; known: {', '.join(ADAPTERS)}") from None
    module, cls = target.split(":")
    return getattr(importlib.import_module(module), cls)

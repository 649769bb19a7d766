"""Game adapters by short name -> "module:Class". Imported lazily."""

from __future__ import annotations

import importlib

from envs.base import GameAdapter, RomError

ADAPTERS: dict[str, str] = {
    "quest": "envs.adapters.quest:QuestAdapter",
    "pokered": "envs.adapters.pokered:PokeRedAdapter",  # Red and Blue: one engine
    "pokeyellow": "envs.adapters.pokered:PokeYellowAdapter",
    "pokecrystal": "envs.adapters.pokecrystal:PokeCrystalAdapter",
}


def adapter_class(name: str) -> type[GameAdapter]:
    try:
        target = ADAPTERS[name]
    except KeyError:
        raise RomError(f"unknown game {name!r}; known: {', '.join(ADAPTERS)}") from None
    module, cls = target.split(":")
    return getattr(importlib.import_module(module), cls)

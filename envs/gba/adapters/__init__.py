"""GBA game adapters by game name (imported on use)."""

from __future__ import annotations

from envs._child import import_object

ADAPTERS: dict[str, str] = {
    "quest-gba": "envs.gba.adapters.quest:QuestGBAAdapter",
    "emerald": "envs.gba.adapters.emerald:EmeraldAdapter",
}


def adapter_class(game: str) -> type:
    try:
        return import_object(ADAPTERS[game])
    except KeyError:
        raise ValueError(f"no GBA adapter {game!r}; known: {', '.join(ADAPTERS)}") from None

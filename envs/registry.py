"""Every env by short name: ONE table, from which `make_env`, `env_names` and the gymnasium ids all come.

`make_env("quest")` runs the in-repo homebrew ROM (built from source on first use); the Pokémon names
need the user's own ROM file (commercial ROMs cannot be shipped); "form" is a pure-Python web-form
stand-in. Factories are "module:callable" strings imported on use, so listing envs imports nothing heavy.

    gymnasium.make("harness/PokemonRed-v0", rom="red.gb")   # same as make_env("pokered", rom="red.gb")
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import gymnasium

from envs._child import import_object
from envs.base import RomError


@dataclass(frozen=True)
class EnvEntry:
    factory: str  # "module:callable"; a ROM env's factory takes the ROM path as its first argument
    gym_id: str
    description: str
    rom: Literal["none", "required", "bundled"] = "none"  # bundled: `bundled_rom()` when no --rom is given
    kwargs: dict[str, Any] = field(default_factory=dict)  # defaults, overridable by make_env options
    bundled_rom: str = ""  # "module:callable" returning the path of a ROM built from this repo's source


_GB = "envs.gameboy.env:GameBoyEnv"
ENVS: dict[str, EnvEntry] = {
    "quest": EnvEntry(_GB, "harness/Quest-v0", "QUEST, the homebrew Game Boy game built from this repo's source",
                      rom="bundled", kwargs={"game": "quest"}, bundled_rom="envs.gameboy.quest.build:ensure_built"),
    "pokered": EnvEntry(_GB, "harness/PokemonRed-v0", "Pokémon Red / Blue (Game Boy, bring your own ROM)",
                        rom="required", kwargs={"game": "pokered"}),
    "pokeyellow": EnvEntry(_GB, "harness/PokemonYellow-v0", "Pokémon Yellow (Game Boy Color, bring your own ROM)",
                           rom="required", kwargs={"game": "pokeyellow"}),
    "pokecrystal": EnvEntry(_GB, "harness/PokemonCrystal-v0", "Pokémon Crystal (Game Boy Color, bring your own ROM)",
                            rom="required", kwargs={"game": "pokecrystal"}),
    "form": EnvEntry("envs.form:FormEnv", "harness/Form-v0",
                     "web-form stand-in: a seeded stream of fill / tick / choose tasks (pure Python, no ROM)"),
    "quest-gba": EnvEntry("envs.gba.env:GBAEnv", "harness/QuestGBA-v0",
                          "QUEST-GBA, the homebrew Game Boy Advance game built from this repo's source (mGBA)",
                          rom="bundled", kwargs={"game": "quest-gba"}, bundled_rom="envs.gba.quest.build:ensure_built"),
    "emerald": EnvEntry("envs.gba.env:GBAEnv", "harness/PokemonEmerald-v0",
                        "Pokémon Emerald (Game Boy Advance on mGBA, bring your own ROM)",
                        rom="required", kwargs={"game": "emerald"}),
    "miniwob": EnvEntry("envs.web.miniwob:MiniWoBEnv", "harness/MiniWoB-v0",
                        "MiniWoB++ web tasks in headless Chromium, chained without reset (--tasks a,b,c)"),
    "desktop": EnvEntry("envs.desktop.env:DesktopEnv", "harness/Desktop-v0",
                        "desktop GUI tasks on a virtual X display (Xvfb): a Tk app of ours and Debian programs"),
}


def env_names() -> list[str]:
    return list(ENVS)


def env_entry(name: str) -> EnvEntry:
    try:
        return ENVS[name]
    except KeyError:
        raise RomError(f"unknown env {name!r}; known: {', '.join(ENVS)}") from None


def env_options(name: str) -> list[str]:
    """The option names `make_env(name, **options)` accepts (the factory's keyword parameters)."""
    entry = env_entry(name)
    params = list(inspect.signature(import_object(entry.factory)).parameters.values())
    if entry.rom != "none":
        params = params[1:]  # the ROM path
    return [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def make_env(name: str, rom: str | Path | None = None, **options: Any) -> Any:
    """The env registered as `name`; `options` go to its factory (e.g. frames_per_step for Game Boy games).

    RomError for an unknown name or a missing ROM; ValueError for an option the env does not take.
    """
    entry = env_entry(name)
    allowed = env_options(name)
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ValueError(f"env {name!r} does not take option(s) {', '.join(unknown)}; it takes {', '.join(allowed)}")
    kwargs = {**entry.kwargs, **options}
    factory = import_object(entry.factory)
    if entry.rom == "none":
        if rom is not None:
            raise ValueError(f"env {name!r} takes no ROM (got {rom})")
        return factory(**kwargs)
    if rom is None:
        if entry.rom == "required":
            raise RomError(f"{name} needs --rom FILE (bring your own ROM)")
        rom = import_object(entry.bundled_rom)()  # may compile the ROM on first use
    return factory(rom, **kwargs)


def register_envs() -> None:
    """Register the gymnasium ids (idempotent): gymnasium.make("harness/PokemonRed-v0", rom=...)."""
    for name, entry in ENVS.items():
        if entry.gym_id not in gymnasium.registry:
            gymnasium.register(id=entry.gym_id, entry_point="envs.registry:make_env", kwargs={"name": name})


register_envs()

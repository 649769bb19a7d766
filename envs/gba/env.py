"""Gymnasium env for Game Boy Advance games: mGBA (in a killable child process) + a game adapter, meeting the
env contract in envs/base.py (one action tool, press_buttons, with the GBA's ten buttons; info["progress"]
where=(location, x, y)).

The env itself is envs/cartridge.py's `CartridgeEnv`, shared with the Game Boy: reset-free (`reset()` powers
the cartridge on once, `step()` runs forever), with savestates that carry our own frame counter (and, through
the emulator's own state, the frame on screen).
"""

from __future__ import annotations

from envs.cartridge import CartridgeEnv, press_buttons_model
from envs.cartridge import resolve_adapter as _resolve
from envs.gba.adapters import ADAPTERS, adapter_class
from envs.gba.emulator import DEFAULT_BOOT_FRAMES, SCREEN_SHAPE, GBAEmulator, adapter_path, validate_rom
from envs.gba.game import GBA_BUTTONS, GBAGameAdapter, rom_code, rom_title

__all__ = ["GBAEnv", "GBAPressButtons", "resolve_adapter"]

INSTRUCTIONS = """\
Each turn you see the Game Boy Advance screen as text: your location, position (x, y; y grows downward),
facing, any dialog on screen, and a map of the cells around you (@ you, . walkable, # wall, ? object,
N person, D door / exit, ~ water, g tall grass, _ ledge you can only jump down).
A direction moves one cell, or first turns you to face that way. A talks to what you face and advances
dialog; B cancels; START opens the menu; L and R are shoulder buttons some games use."""

PRESS_DOC = "Arguments of press_buttons: the GBA buttons to press, in order."
GBAPressButtons = press_buttons_model("GBAPressButtons", GBA_BUTTONS, 5, PRESS_DOC)


def resolve_adapter(game: str | type | None, rom: bytes, rom_name: str) -> type[GBAGameAdapter]:
    """The adapter class for this ROM: the one named/given (checked), or the first that identifies it."""
    return _resolve(game, rom, rom_name, adapters=ADAPTERS, adapter_class=adapter_class,
                    describe=lambda r: f"title {rom_title(r)!r}, code {rom_code(r)!r}", platform="GBA")


class GBAEnv(CartridgeEnv):
    """One GBA cartridge (mGBA) as a gymnasium env: see `CartridgeEnv` for actions, observations and
    savestates. The frame is RGB uint8 (160, 240, 3); the game defaults to quest-gba."""

    instructions = INSTRUCTIONS
    platform = "Game Boy Advance"
    buttons = GBA_BUTTONS
    state_magic = b"CHGA"  # continual-harness Game Boy Advance state
    screen_shape = SCREEN_SHAPE
    press_model_name = "GBAPressButtons"
    press_model_doc = PRESS_DOC
    press_description = ("A direction moves one cell or turns; A interacts / advances text; B cancels; START "
                         "opens the menu; L and R are the shoulder buttons.")
    press_examples = ({"buttons": ["A"]}, {"buttons": ["RIGHT", "DOWN"]}, {"buttons": ["B", "L", "R"]})
    default_game = "quest-gba"
    validate_rom = staticmethod(validate_rom)
    resolve_adapter = staticmethod(resolve_adapter)
    adapter_path = staticmethod(adapter_path)
    emulator_cls = GBAEmulator
    default_boot_frames = DEFAULT_BOOT_FRAMES

"""Gymnasium env for Game Boy games: PyBoy (in a killable child process) + a game adapter, meeting the env
contract of envs/base.py (one action tool, press_buttons; info["progress"] where=(location, x, y)).

The env itself is envs/cartridge.py's `CartridgeEnv`, shared with the GBA: reset-free (`reset()` powers the
cartridge on once, `step()` runs forever), with savestates that carry our own frame counter (PyBoy's is not
restored by its load_state).
"""

from __future__ import annotations

from envs.base import TEXT_CHARSET, TEXT_MAX_LENGTH, sanitize_text
from envs.cartridge import CartridgeEnv, press_buttons_model
from envs.cartridge import resolve_adapter as _resolve
from envs.gameboy.adapters import ADAPTERS, adapter_class
from envs.gameboy.emulator import DEFAULT_BOOT_FRAMES, SCREEN_SHAPE, GameBoyEmulator, adapter_path, validate_rom
from envs.gameboy.game import BUTTONS, GameAdapter, rom_title

__all__ = ["GameBoyEnv", "PressButtons", "TEXT_CHARSET", "TEXT_MAX_LENGTH", "resolve_adapter", "sanitize_text"]

INSTRUCTIONS = """\
Each turn you see the Game Boy screen as text: your location, position (x, y; y grows downward), facing,
any dialog or menu on screen, and a map of the tiles around you (@ you, . walkable, # wall, ? object,
N person, D door, ~ water, g tall grass, _ ledge you can only jump down).
A direction moves one tile, or first turns you to face that way. A talks to what you face and advances
dialog; B cancels; START opens the menu."""

PressButtons = press_buttons_model("PressButtons", BUTTONS)


def resolve_adapter(game: str | type | None, rom: bytes, rom_name: str) -> type[GameAdapter]:
    """The adapter class for this ROM: the one named/given (checked), or the first that identifies it."""
    return _resolve(game, rom, rom_name, adapters=ADAPTERS, adapter_class=adapter_class,
                    describe=lambda r: f"title {rom_title(r)!r}", platform="Game Boy")


class GameBoyEnv(CartridgeEnv):
    """One Game Boy cartridge (PyBoy) as a gymnasium env: see `CartridgeEnv` for actions, observations and
    savestates. The frame is RGB uint8 (144, 160, 3)."""

    instructions = INSTRUCTIONS
    platform = "Game Boy"
    buttons = BUTTONS
    state_magic = b"CHGB"  # continual-harness Game Boy state
    screen_shape = SCREEN_SHAPE
    press_model_name = "PressButtons"
    press_description = ("A direction moves one tile or turns; A interacts / advances text; B cancels; START "
                         "opens the menu.")
    press_examples = ({"buttons": ["A"]}, {"buttons": ["RIGHT", "DOWN"]}, {"buttons": ["B", "LEFT", "UP"]})
    validate_rom = staticmethod(validate_rom)
    resolve_adapter = staticmethod(resolve_adapter)
    adapter_path = staticmethod(adapter_path)
    emulator_cls = GameBoyEmulator
    default_boot_frames = DEFAULT_BOOT_FRAMES

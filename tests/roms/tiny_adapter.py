"""Game adapter for the tiny test cartridge (tests/roms/tiny.c); state lives at fixed WRAM addresses."""

from __future__ import annotations

from typing import ClassVar

from envs.gameboy.game import GameState, Memory, read_u8, read_u16le, rom_title

MAGIC, FRAMES, POS_X, POS_Y, FACING, A_PRESSES, JOYPAD, START_PRESSES = (
    0xC000, 0xC001, 0xC003, 0xC004, 0xC005, 0xC006, 0xC007, 0xC008,
)
FACINGS = ("DOWN", "UP", "LEFT", "RIGHT")
VIEW = 2  # cells drawn on each side of the player


class TinyAdapter:
    name: ClassVar[str] = "tiny"
    milestones: ClassVar[tuple[str, ...]] = ("booted", "moved_right_3", "pressed_a")

    @classmethod
    def identify(cls, rom: bytes) -> bool:
        return rom_title(rom) == "HARNESSTEST"

    def read(self, mem: Memory) -> GameState:
        booted = read_u8(mem, MAGIC) == 0x42
        # Positions are bytes that wrap; show them signed so LEFT from 0 reads as -1.
        x = (read_u8(mem, POS_X) + 128) % 256 - 128
        y = (read_u8(mem, POS_Y) + 128) % 256 - 128
        a_presses = read_u8(mem, A_PRESSES)
        rows = []
        for dy in range(-VIEW, VIEW + 1):
            rows.append("".join("@" if (dx, dy) == (0, 0) else "." for dx in range(-VIEW, VIEW + 1)))
        milestones = [m for m, ok in zip(self.milestones, (booted, x >= 3, a_presses > 0), strict=True) if ok]
        return GameState(
            game=self.name, location="Test Room", map_id=0, x=x, y=y,
            facing=FACINGS[read_u8(mem, FACING) & 3], text_map="\n".join(rows), can_move=booted,
            milestones=milestones,
            extra={"frames": read_u16le(mem, FRAMES), "a_presses": a_presses,
                   "start_presses": read_u8(mem, START_PRESSES), "joypad": read_u8(mem, JOYPAD)},
        )

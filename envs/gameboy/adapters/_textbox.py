"""Finding framed text boxes (┌─┐│└┘) in a screen tile map: shared by the Pokémon adapters, which
draw boxes the same way with different tile ids."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

SCREEN_W, SCREEN_H = 20, 18  # the Game Boy screen in 8x8 tiles


@dataclass(frozen=True)
class BoxTiles:
    top_left: int
    horizontal: int
    top_right: int
    vertical: int
    bottom_left: int


@dataclass(frozen=True)
class Box:
    """A text box or menu frame on screen; `right` is exclusive when another box cut its top edge."""

    top: int
    left: int
    bottom: int
    right: int

    def covers(self, row: int, col: int) -> bool:
        return self.top <= row <= self.bottom and self.left <= col <= self.right


def find_boxes(screen: Sequence[int], tiles: BoxTiles, *, top_edge_may_end_in_box: bool = False) -> list[Box]:
    """Frames top to bottom, left to right: a ┌ with a run of ─ to a ┐ and a run of │ down to a └ (the
    right and bottom edges are not needed: a menu drawn over a text box covers them). With
    `top_edge_may_end_in_box`, a top edge running into another box's ┌ (a battle menu drawn over the
    text box) also ends a frame."""
    right_ends = (tiles.top_right, tiles.top_left) if top_edge_may_end_in_box else (tiles.top_right,)

    def at(r: int, c: int) -> int:
        return screen[r * SCREEN_W + c]

    boxes = []
    for r in range(SCREEN_H - 2):
        for c in range(SCREEN_W - 2):
            if at(r, c) != tiles.top_left:
                continue
            right = c + 1
            while right < SCREEN_W and at(r, right) == tiles.horizontal:
                right += 1
            bottom = r + 1
            while bottom < SCREEN_H and at(bottom, c) == tiles.vertical:
                bottom += 1
            if right >= SCREEN_W or bottom >= SCREEN_H or at(bottom, c) != tiles.bottom_left:
                continue
            if at(r, right) not in right_ends or right - c < 2 or bottom - r < 2:
                continue
            boxes.append(Box(r, c, bottom, right))
    return boxes

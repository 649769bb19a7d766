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
    bottom_right: int | None = None  # needed to confirm a frame whose top edge carries a title or arrows

    @property
    def frame(self) -> frozenset[int]:
        ids = {self.top_left, self.horizontal, self.top_right, self.vertical, self.bottom_left}
        if self.bottom_right is not None:
            ids.add(self.bottom_right)
        return frozenset(ids)


@dataclass(frozen=True)
class Box:
    """A text box or menu frame on screen; `right` is exclusive when another box cut its top edge."""

    top: int
    left: int
    bottom: int
    right: int

    def covers(self, row: int, col: int) -> bool:
        return self.top <= row <= self.bottom and self.left <= col <= self.right

    def top_edge(self, screen: Sequence[int]) -> Sequence[int]:
        """The tiles between the top corners: ─ only, unless a title ("NAME") or an arrow is drawn there."""
        return screen[self.top * SCREEN_W + self.left + 1 : self.top * SCREEN_W + self.right]

    def bottom_edge(self, screen: Sequence[int]) -> Sequence[int]:
        return screen[self.bottom * SCREEN_W + self.left + 1 : self.bottom * SCREEN_W + self.right]


def find_boxes(screen: Sequence[int], tiles: BoxTiles, *, top_edge_may_end_in_box: bool = False) -> list[Box]:
    """Frames top to bottom, left to right: a ┌ with a run of │ down to a └, and a top edge of ─ running
    to a ┐. The right and bottom edges are not needed when the top edge is plain ─ (a menu drawn over a
    text box covers them).

    The top edge may also carry other tiles: a title written over the border (the naming menus' "NAME")
    or arrows (Crystal's clock setting). Such a frame counts only if its right edge is intact too (│ all
    the way down to a ┘), so a stray ┌ followed by letters is not mistaken for a box.

    With `top_edge_may_end_in_box`, a plain top edge running into another box's ┌ (a battle menu drawn
    over the text box) also ends a frame."""
    frame = tiles.frame

    def at(r: int, c: int) -> int:
        return screen[r * SCREEN_W + c]

    def right_edge_intact(top: int, bottom: int, col: int) -> bool:
        if any(at(r, col) != tiles.vertical for r in range(top + 1, bottom)):
            return False
        return tiles.bottom_right is None or at(bottom, col) == tiles.bottom_right

    boxes = []
    for r in range(SCREEN_H - 2):
        for c in range(SCREEN_W - 2):
            if at(r, c) != tiles.top_left:
                continue
            bottom = r + 1
            while bottom < SCREEN_H and at(bottom, c) == tiles.vertical:
                bottom += 1
            if bottom >= SCREEN_H or at(bottom, c) != tiles.bottom_left or bottom - r < 2:
                continue
            right, drawn_over = c + 1, 0
            while right < SCREEN_W and (at(r, right) == tiles.horizontal or at(r, right) not in frame):
                drawn_over += at(r, right) != tiles.horizontal
                right += 1
            if right >= SCREEN_W or right - c < 2:
                continue
            end = at(r, right)
            if drawn_over:
                if end != tiles.top_right or not right_edge_intact(r, bottom, right):
                    continue
            elif end != tiles.top_right and not (top_edge_may_end_in_box and end == tiles.top_left):
                continue
            boxes.append(Box(r, c, bottom, right))
    return boxes

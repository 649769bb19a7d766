"""The desktop env's task stream: task `i` of seed `s` (over the chosen task types) is a pure function of
(s, types, i), so a state only stores the actions taken in the current task.

Four types, on two programs. On our Tk app (envs/desktop/tkapp.py), whose state the app reports:
  tk-name      type a name into the Name field and press Save   (success: Save committed that name)
  tk-checkbox  tick one checkbox and press Save                  (success: Save committed it ticked)
  tk-todo      add an item to the to-do list                     (success: the list holds it)
On xedit (Debian's x11-apps), a file in a private directory:
  xedit-line   add a line to the file and save it                (success: the file on disk has the line)
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

TASK_TYPES: tuple[str, ...] = ("tk-name", "tk-checkbox", "tk-todo", "xedit-line")
PROGRAM_OF: dict[str, str] = {"tk-name": "tkapp", "tk-checkbox": "tkapp", "tk-todo": "tkapp",
                              "xedit-line": "xedit"}

_NAMES = ("Ada Lovelace", "Grace Hopper", "Alan Turing", "Linus Torvalds", "Barbara Liskov", "Edsger Dijkstra",
          "Margaret Hamilton", "Donald Knuth", "Radia Perlman", "Ken Thompson", "Frances Allen", "John Backus")
_EMAILS = ("me@example.org", "hello@example.com", "office@example.net", "admin@example.org")
_CHECKS = ("Dark mode", "Newsletter", "Auto-update", "Sync files", "Sounds", "Spell check")
_TODOS = ("Buy milk", "Call Bob", "Water plants", "Pay rent", "Book tickets", "Fix bike", "Walk the dog",
          "Send invoice", "Clean desk", "Read a book", "Renew passport", "Bake bread")
_FILES = ("notes.txt", "todo.txt", "shopping.txt", "ideas.txt")
_WORDS = ("hello", "apple", "banana", "cherry", "delta", "echo", "falcon", "garden", "harbor", "island",
          "jungle", "kettle", "lemon", "meadow")


@dataclass(frozen=True)
class Task:
    """One task of the stream: what the user is told, which program runs, and what counts as done."""

    index: int
    type: str
    utterance: str
    target: str  # the name / checkbox / item / line that success looks for
    config: dict[str, Any] = field(default_factory=dict)  # how the program starts (initial values, file)

    @property
    def program(self) -> str:
        return PROGRAM_OF[self.type]

    def solved(self, state: dict[str, Any]) -> bool:
        """Whether the program's state (the Tk app's report, or {"lines": [...]} of the file on disk) is done."""
        if self.type == "tk-name":
            return str(state.get("saved", {}).get("name", "")).strip() == self.target
        if self.type == "tk-checkbox":
            return bool(state.get("saved", {}).get("checks", {}).get(self.target))
        if self.type == "tk-todo":
            return self.target in [str(t).strip() for t in state.get("todos", [])]
        return self.target in [line.strip() for line in state.get("lines", [])]


def make_task(seed: int, index: int, types: tuple[str, ...] = TASK_TYPES) -> Task:
    """Task `index` of the stream `seed` over `types` (deterministic: str seeds hash with SHA-512). Each run of
    len(types) tasks is a shuffle of the types, so every type comes up evenly."""
    stream = f"desktop:{seed}:{','.join(types)}"
    block = list(types)
    random.Random(f"{stream}:block:{index // len(types)}").shuffle(block)
    kind = block[index % len(types)]
    rng = random.Random(f"{stream}:{index}")
    checks = rng.sample(_CHECKS, 3)
    todos = rng.sample(_TODOS, rng.randint(1, 3))
    tk = {"title": "Settings", "name": "", "email": rng.choice(_EMAILS),
          "checks": {c: rng.random() < 0.5 for c in checks}, "todos": todos}
    if kind == "tk-name":
        target = rng.choice(_NAMES)
        return Task(index, kind, f"Type '{target}' into the Name field, then press Save.", target, tk)
    if kind == "tk-checkbox":
        target = rng.choice(checks)
        tk["checks"][target] = False
        return Task(index, kind, f"Tick the '{target}' checkbox, then press Save.", target, tk)
    if kind == "tk-todo":
        target = rng.choice([t for t in _TODOS if t not in todos])
        return Task(index, kind, f"Add '{target}' to the to-do list.", target, tk)
    name = rng.choice(_FILES)
    lines = [f"{w} {rng.randint(1, 99)}" for w in rng.sample(_WORDS, rng.randint(1, 3))]
    target = f"{rng.choice([w for w in _WORDS if w not in ' '.join(lines)])} {rng.randint(1, 99)}"
    return Task(index, kind, f"In xedit, add the line '{target}' to {name} and save the file "
                f"(the Save button, or Ctrl-X then Ctrl-S).", target, {"file": name, "lines": lines})

"""The form env's task stream: task `i` of seed `s` is a pure function of (s, i), so a state only stores
the values the agent changed. Three kinds: fill textboxes, tick a set of checkboxes, choose a radio option.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

KINDS: tuple[str, ...] = ("fill", "checkbox", "radio")

_FIELDS: dict[str, tuple[str, ...]] = {
    "Name": ("Ada", "Grace", "Alan", "Linus", "Barbara", "Edsger", "Margaret", "Donald", "Radia", "Ken"),
    "City": ("Paris", "Lima", "Oslo", "Cairo", "Kyoto", "Quito", "Perth", "Dakar", "Tunis", "Riga"),
    "Company": ("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Wayne", "Stark", "Tyrell"),
    "Country": ("France", "Peru", "Norway", "Egypt", "Japan", "Chile", "Kenya", "Canada"),
    "Username": ("ada_l", "ghopper", "aturing", "torvalds", "bliskov", "dijkstra", "mhamilton", "knuth"),
}
_CHOICES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("toppings", ("Cheese", "Olives", "Basil", "Onion", "Tomato")),
    ("newsletters", ("News", "Offers", "Updates", "Events")),
    ("days", ("Mon", "Tue", "Wed", "Thu", "Fri")),
)
_OPTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("colour", ("Red", "Green", "Blue", "Yellow")),
    ("size", ("Small", "Medium", "Large")),
    ("plan", ("Free", "Pro", "Team", "Enterprise")),
    ("shipping", ("Standard", "Express", "Pickup")),
)


@dataclass
class Element:
    ref: int
    role: str  # textbox, checkbox, radio, button
    label: str
    value: str = ""  # textboxes
    checked: bool = False  # checkboxes and radios
    group: str = ""  # radios: the question they answer

    def line(self, focused: bool) -> str:
        out = f"[{self.ref}] {self.role} {_quote(self.label)}"
        if self.role == "textbox":
            out += f" value={_quote(self.value)}"
        elif self.role == "radio":
            out += f" ({self.group}) checked={'true' if self.checked else 'false'}"
        elif self.role == "checkbox":
            out += f" checked={'true' if self.checked else 'false'}"
        return out + (" (focused)" if focused else "")


@dataclass
class Task:
    index: int
    kind: str
    utterance: str
    elements: list[Element]
    answer: dict[str, str | bool] = field(default_factory=dict)  # label -> wanted value / checked

    def problem(self, elements: list[Element]) -> str | None:
        """Why submitting `elements` does not solve the task (None: it does), as a form would say it."""
        by_label = {e.label: e for e in elements if e.role != "button"}
        for label, want in self.answer.items():
            e = by_label[label]
            got: str | bool = e.value.strip() if e.role == "textbox" else e.checked
            if got != want:
                if self.kind == "fill":
                    return f"check {label}" if got else f"{label} is empty"
                return "check your choices" if self.kind == "checkbox" else "check your choice"
        return None


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _phrase(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def make_task(seed: int, index: int) -> Task:
    """Task `index` of the stream `seed` (deterministic: str seeds hash with SHA-512, not hash())."""
    rng = random.Random(f"form:{seed}:{index}")
    kind = rng.choice(KINDS)
    answer: dict[str, str | bool] = {}
    elements: list[Element] = []
    if kind == "fill":
        labels = rng.sample(sorted(_FIELDS), rng.randint(2, 4))
        targets = rng.sample(labels, rng.randint(1, min(3, len(labels))))
        elements = [Element(0, "textbox", label) for label in labels]
        answer = {label: rng.choice(_FIELDS[label]) for label in targets}
        parts = [f"'{answer[t]}' into {'the ' + t + ' field' if i == 0 else t}" for i, t in enumerate(targets)]
        utterance = f"Enter {_phrase(parts)}, then click Submit."
    elif kind == "checkbox":
        topic, names = rng.choice(_CHOICES)
        shown = rng.sample(names, rng.randint(3, 4))
        wanted = rng.sample(shown, rng.randint(1, 2))
        elements = [Element(0, "checkbox", n, checked=rng.random() < 0.3) for n in shown]
        answer = {n: n in wanted for n in shown}
        utterance = f"Select only {_phrase([repr(w) for w in wanted])} among the {topic}, then click Submit."
    else:
        group, names = rng.choice(_OPTIONS)
        shown = list(names)
        wanted = rng.choice(shown)
        elements = [Element(0, "radio", n, group=group) for n in shown]
        answer = {wanted: True}
        utterance = f"Choose {wanted!r} as the {group}, then click Submit."
    buttons = [Element(0, "button", "Submit"), Element(0, "button", "Clear")]
    rng.shuffle(buttons)
    elements += buttons
    for ref, e in enumerate(elements, start=1):
        e.ref = ref
    return Task(index=index, kind=kind, utterance=utterance, elements=elements, answer=answer)

"""The desktop env's own Tk program: a small settings form and a to-do list that reports its widget tree.

    python tkapp.py FD CONFIG_JSON

Run by the env on its virtual display (stdlib only, so it starts fast). It talks to the env over the socket
`FD`, one JSON object a line: it sends {"op": "ready", ...state} once its window is drawn, then answers each
{"op": "state"} with {"op": "state", ...state}. The state is what the env shows and checks: every widget
with its ref, class, name, text, value or checked state, items, screen geometry and focus; plus what Save
last committed ("saved") and the to-do items. Before answering it processes every pending event and does a
round trip to the X server, so an answer reflects all the input the server delivered before the request,
already drawn. It exits when the socket closes.

Nothing in it depends on time: the entry cursor does not blink, selections are not exported, and there
are no timers, so the same input gives the same pixels.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import tkinter as tk
from typing import Any

WIDTH, HEIGHT = 640, 480
BG = "#ececec"


class App:
    """The window: Name / Email entries, three checkboxes, Save / Revert, a status line, and a to-do list."""

    def __init__(self, root: tk.Tk, config: dict[str, Any]) -> None:
        self.root = root
        self.names: dict[str, str] = {}  # widget path -> the name shown in the tree
        root.title(config.get("title", "Settings"))
        root.geometry(f"{WIDTH}x{HEIGHT}+0+0")
        root.configure(background=BG)
        root.option_add("*Entry.insertOffTime", 0)  # no blinking cursor: pixels depend on input only
        root.option_add("*Entry.exportSelection", 0)
        root.option_add("*Listbox.exportSelection", 0)
        root.option_add("*background", BG)
        root.option_add("*Entry.background", "white")
        root.option_add("*Listbox.background", "white")
        font = ("DejaVu Sans", 11)
        root.option_add("*font", font)

        self.checks: dict[str, tk.BooleanVar] = {}
        self.saved: dict[str, Any] = {}

        tk.Label(root, text=config.get("heading", "Profile settings"), font=("DejaVu Sans", 14, "bold")).place(
            x=16, y=10)
        self.name = self._entry("Name", 52, config.get("name", ""))
        self.email = self._entry("Email", 88, config.get("email", ""))
        x = 16
        for label, on in config.get("checks", {}).items():
            var = tk.BooleanVar(root, value=bool(on))
            cb = tk.Checkbutton(root, text=label, variable=var, anchor="w")
            cb.place(x=x, y=126)
            self.names[str(cb)] = label
            self.checks[label] = var
            x += 190
        save = tk.Button(root, text="Save", width=8, command=self.save)
        save.place(x=16, y=164)
        revert = tk.Button(root, text="Revert", width=8, command=self.revert)
        revert.place(x=130, y=164)
        self.status = tk.Label(root, text="Not saved yet.", anchor="w", width=40)
        self.status.place(x=250, y=169)
        self.names[str(self.status)] = "Status"

        tk.Label(root, text="To-do list", font=("DejaVu Sans", 14, "bold")).place(x=16, y=214)
        self.new_item = self._entry("New item", 252, "", label_text="New item:", width=26)
        self.new_item.bind("<Return>", lambda _e: self.add_item())
        add = tk.Button(root, text="Add", width=6, command=self.add_item)
        add.place(x=370, y=248)
        self.todo = tk.Listbox(root, width=32, height=7, selectmode="browse", activestyle="none")
        self.todo.place(x=110, y=290)
        self.names[str(self.todo)] = "To-do"
        for item in config.get("todos", []):
            self.todo.insert("end", item)
        remove = tk.Button(root, text="Remove selected", command=self.remove_item)
        remove.place(x=460, y=290)
        self.save(initial=True)

    def _entry(self, name: str, y: int, value: str, label_text: str | None = None, width: int = 36) -> tk.Entry:
        tk.Label(self.root, text=label_text or f"{name}:").place(x=16, y=y)
        e = tk.Entry(self.root, width=width)
        e.place(x=110, y=y)
        e.insert(0, value)
        self.names[str(e)] = name
        return e

    # -- commands ----------------------------------------------------------------------------------

    def save(self, initial: bool = False) -> None:
        self.saved = {"name": self.name.get(), "email": self.email.get(),
                      "checks": {k: bool(v.get()) for k, v in self.checks.items()}}
        if not initial:
            self.status.configure(text="Saved.")

    def revert(self) -> None:
        for entry, key in ((self.name, "name"), (self.email, "email")):
            entry.delete(0, "end")
            entry.insert(0, self.saved[key])
        for k, v in self.checks.items():
            v.set(self.saved["checks"][k])
        self.status.configure(text="Reverted to the saved settings.")

    def add_item(self) -> None:
        text = self.new_item.get().strip()
        if not text:
            self.status.configure(text="Type the new item first.")
            return
        self.todo.insert("end", text)
        self.new_item.delete(0, "end")
        self.status.configure(text=f"Added {text!r}.")

    def remove_item(self) -> None:
        sel = self.todo.curselection()
        if not sel:
            self.status.configure(text="Select an item to remove first.")
            return
        text = self.todo.get(sel[0])
        self.todo.delete(sel[0])
        self.status.configure(text=f"Removed {text!r}.")

    # -- the report --------------------------------------------------------------------------------

    def _walk(self, w: tk.Misc) -> list[tk.Misc]:
        out: list[tk.Misc] = []
        for child in w.winfo_children():
            if child.winfo_class() in ("Frame", "Toplevel"):
                out += self._walk(child)
            else:
                out.append(child)
        return out

    def state(self) -> dict[str, Any]:
        """Every widget (refs 1.. in creation order) and the app's data."""
        focus = self.root.focus_get()
        widgets = []
        for ref, w in enumerate(self._walk(self.root), start=1):
            cls = w.winfo_class()
            rec: dict[str, Any] = {
                "ref": ref, "class": cls, "name": self.names.get(str(w), ""),
                "x": w.winfo_rootx(), "y": w.winfo_rooty(), "w": w.winfo_width(), "h": w.winfo_height(),
                "focused": w is focus,
            }
            if cls in ("Label", "Button", "Checkbutton"):
                rec["text"] = w.cget("text")
            if cls == "Entry":
                rec["value"] = w.get()  # type: ignore[attr-defined]
            if cls == "Checkbutton":
                rec["checked"] = bool(self.checks[self.names[str(w)]].get())
            if cls == "Listbox":
                rec["items"] = list(w.get(0, "end"))  # type: ignore[attr-defined]
                rec["selected"] = [int(i) for i in w.curselection()]  # type: ignore[attr-defined]
            widgets.append(rec)
        return {"title": self.root.title(), "widgets": widgets, "saved": self.saved,
                "todos": list(self.todo.get(0, "end")), "status": self.status.cget("text")}


def main() -> None:
    fd, config = int(sys.argv[1]), json.loads(sys.argv[2])
    conn = socket.socket(fileno=fd)
    root = tk.Tk(className="Tkapp")
    app = App(root, config)
    buf = b""

    def drain() -> None:
        """Process every pending event, then a round trip: the server has drawn what we asked for."""
        root.update()
        root.update_idletasks()
        root.winfo_pointerxy()  # XQueryPointer: a reply means the server handled all our requests

    def send(op: str) -> None:
        drain()
        conn.sendall((json.dumps({"op": op, **app.state()}) + "\n").encode())

    def on_request(_fd: Any, _mask: Any) -> None:
        nonlocal buf
        try:
            chunk = conn.recv(65536)
        except OSError:
            chunk = b""
        if not chunk:  # the env went away
            root.destroy()
            return
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            request = json.loads(line)
            send("state" if request.get("op") == "state" else "error")

    root.update()
    root.focus_force()
    root.tk.createfilehandler(conn, tk.READABLE, on_request)
    send("ready")
    root.mainloop()
    os._exit(0)


if __name__ == "__main__":
    main()

"""The compact text view of a MiniWoB++ page: one line per element a person would read or use.

Input is `core.getDOMInfo()` (nested dicts: tag, ref, geometry, text for leaves, value for inputs, focused,
classes, children; text runs inside mixed content come as pseudo-elements with tag "t" and a negative ref).
Output lines:

    [6] checkbox "GjVJ8fQ" checked=false        an input, labelled by the text of its <label>
    [5] textbox value="Keli" (focused)          a text field and what it holds
    [9] button "Submit"                         a button or link, with all the text inside it
    [4] span.alink "magna."                     a leaf element with text (its tag, and its class if one)
    [15] span.trash                             an icon: a small empty element with one class (or an id)
    text "Nullam dui ut purus ac convallis"     text between elements (no ref: not clickable by ref)

Refs are miniwob's own (stable within a task; assigned in document order the first time an element is
seen); containers without text of their own (body, divs, table rows) get no line but their content does.
Everything here is a pure function of the DOM info, so the same page gives the same text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ROLE_OF: dict[str, str] = {
    "input_text": "textbox", "input_password": "password", "input_email": "textbox", "input_search": "textbox",
    "input_tel": "textbox", "input_url": "textbox", "input_number": "number", "textarea": "textarea",
    "input_checkbox": "checkbox", "input_radio": "radio", "a": "link", "select": "select",
    "input_submit": "button", "input_button": "button", "input_reset": "button",
}
TYPEABLE: frozenset[str] = frozenset({"input_text", "input_password", "input_email", "input_search", "input_tel",
                                      "input_url", "input_number", "textarea"})
WHOLE: frozenset[str] = frozenset({"button", "a", "select", "option", "h1", "h2", "h3", "h4", "h5", "h6"})
MAX_TEXT = 300  # characters of one element's text in its line
ICON_SIZE = 40  # an empty element at most this wide and high, with one class or an id, is an icon: [15] span.trash


@dataclass
class PageView:
    """The lines, plus what actions need: every ref on the page with its tag, and the focused ref (0: none)."""

    lines: list[str] = field(default_factory=list)
    tags: dict[int, str] = field(default_factory=dict)
    focused: int = 0


def _quote(s: str, exact: bool = False) -> str:
    """`s` in double quotes; runs of whitespace squashed, except in an `exact` value (line breaks are spaces)."""
    s = " ".join(s.splitlines()) if exact else " ".join(s.split())
    if len(s) > MAX_TEXT:
        s = s[: MAX_TEXT - 3] + "..."
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _visible(node: dict[str, Any]) -> bool:
    """Not drawn off-screen (jQuery UI's screen-reader text sits at left -4000 or so)."""
    return node["left"] + node["width"] > 0 and node["top"] + node["height"] > 0


def _tag(node: dict[str, Any]) -> str:
    return str(node["tag"]).lower()


def _children(node: dict[str, Any]) -> list[dict[str, Any]]:
    return node.get("children") or []


def _leaf_text(node: dict[str, Any]) -> str | None:
    """The text of a leaf (None for an element with element children); text-only children count as text."""
    if "text" in node and node["text"] is not None:
        return str(node["text"])
    kids = _children(node)
    if kids and all(_tag(k) == "t" for k in kids):
        return " ".join(str(k.get("text") or "") for k in kids if _visible(k))
    return None


def _all_text(node: dict[str, Any]) -> str:
    """All visible text inside `node`, in document order."""
    if not _visible(node):
        return ""
    own = node.get("text")
    parts = [str(own)] if own else []
    parts += [t for t in (_all_text(k) for k in _children(node)) if t]
    return " ".join(parts)


def _icons(node: dict[str, Any]) -> list[str]:
    """jQuery UI icons inside `node` (class ui-icon-closethick -> closethick): what a drawn "x" means."""
    out = []
    classes = node.get("classes")
    if isinstance(classes, str):
        out += [c[len("ui-icon-"):] for c in classes.split() if c.startswith("ui-icon-")]
    for k in _children(node):
        out += _icons(k)
    return out


def _inputs(node: dict[str, Any]) -> list[dict[str, Any]]:
    found = [node] if _tag(node).startswith("input_") else []
    for k in _children(node):
        found += _inputs(k)
    return found


def _register(node: dict[str, Any], view: PageView) -> None:
    ref = node.get("ref")
    if isinstance(ref, int) and ref > 0:
        view.tags[ref] = _tag(node)
        if node.get("focused") and _tag(node) != "body":
            view.focused = ref
    for k in _children(node):
        _register(k, view)


def _qualifier(node: dict[str, Any]) -> str:
    """".alink" for one class (it says what a span or div is: span.alink, span.folder), else "#id", else ""."""
    classes = node.get("classes")
    if isinstance(classes, str) and len(classes.split()) == 1:
        return "." + classes.strip()
    return f"#{node['id']}" if node.get("id") else ""


def _is_icon(node: dict[str, Any]) -> bool:
    return (_visible(node) and node["width"] <= ICON_SIZE and node["height"] <= ICON_SIZE
            and bool(_qualifier(node)))


def _line(node: dict[str, Any], label: str | None) -> str:
    tag = _tag(node)
    role = ROLE_OF.get(tag, tag[len("input_"):] if tag.startswith("input_") else tag)
    role += _qualifier(node) if role == tag and tag not in WHOLE else ""
    out = f"[{node['ref']}] {role}"
    if label:
        out += f" {_quote(label)}"
    value = node.get("value")
    if tag in ("input_checkbox", "input_radio"):
        out += f" checked={'true' if value else 'false'}"
    elif tag in TYPEABLE or (tag.startswith("input_") and value is not None):
        out += f" value={_quote(str(value or ''), exact=True)}"
    icons = _icons(node)
    if icons:
        out += f" icon={','.join(icons)}"
    return out + (" (focused)" if node.get("focused") and tag != "body" else "")


def _walk(node: dict[str, Any], out: list[str], texts: list[str]) -> None:
    """Append the lines of `node`'s subtree to `out`; `texts` gathers a run of text between elements."""
    tag = _tag(node)
    if tag == "t":
        if _visible(node) and (node.get("text") or "").strip():
            texts.append(str(node["text"]))
        return
    if texts:
        out.append(f"text {_quote(' '.join(texts))}")
        texts.clear()
    if tag.startswith("input_") or tag == "textarea":
        out.append(_line(node, None))
        return
    inputs = _inputs(node)
    if tag == "label" and len(inputs) == 1:  # <label><input> text</label>: the input, named by the label
        label = " ".join(_all_text(k) for k in _children(node) if k is not inputs[0] and _all_text(k))
        out.append(_line(inputs[0], label))
        return
    text = _leaf_text(node)
    if tag in WHOLE and not inputs:
        out.append(_line(node, text if text is not None else _all_text(node)))
        return
    if text is not None:
        if (text.strip() and _visible(node)) or (not text.strip() and _is_icon(node)):
            out.append(_line(node, text.strip() or None))
        return
    for k in _children(node):
        _walk(k, out, texts)
    if texts:
        out.append(f"text {_quote(' '.join(texts))}")
        texts.clear()


def page_view(dom: dict[str, Any] | None) -> PageView:
    """The compact view of `core.getDOMInfo()`'s result (an empty view for None)."""
    view = PageView()
    if dom is None:
        return view
    _register(dom, view)
    _walk(dom, view.lines, [])
    return view

"""`harness replay RUN_DIR`: look back at a recorded segment of a run, export it, or prove it replays.

- default: one line per recorded step from --from to --to (inclusive): action (and how many env actions a
  macro made), meta-tool calls, place before -> after, presses, milestones reached, reasoning;
- `--gif OUT` / `--mp4 OUT`: the frames the model saw (Step.frame_ref PNGs), upscaled with NEAREST, each
  with a caption strip (step, action); the MP4 goes through the ffmpeg binary that imageio-ffmpeg ships;
- `--verify`: restore the env to right before --from (newest savestate + recorded actions, as resume
  does), re-apply every step's recorded env actions and check, step by step, that the observation the
  model saw (text, frame) and the place before and after match the log; exit 1 at the first mismatch.

Steps are read in chunks of CHUNK through the step index, so a segment of a million steps costs the
memory of one chunk (the GIF writer is the exception: Pillow keeps every GIF frame, hence GIF_MAX_FRAMES).
"""

from __future__ import annotations

import argparse
import difflib
import io
import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from envs.base import progress_of
from harness.context import format_action
from harness.log.events import Step
from harness.log.store import RunReader, StoreError, blob_ref
from harness.prompt import frame_png
from harness.run import load_config, restore_env

CHUNK = 1000  # step events held in memory at a time
GIF_MAX_FRAMES = 2000  # Pillow keeps every frame of a GIF in memory until it writes the file
MP4_BLOCK = 16  # H.264 macro block: MP4 frames are padded to a multiple of it (yuv420p needs even sizes)
DIFF_LINES = 30


def main(args: argparse.Namespace) -> int:
    if args.fps <= 0:
        raise ValueError("--fps must be positive")
    if args.scale < 1:
        raise ValueError("--scale must be at least 1")
    with RunReader(args.run_dir) as reader:
        start, stop = segment(reader, args.start, args.stop)
        out: dict[str, Any] = {"run_dir": str(args.run_dir), "from": start, "to": stop}
        if not (args.gif or args.mp4 or args.verify):
            list_steps(reader, start, stop, as_json=args.json, head=out)
            return 0
        if args.gif or args.mp4:
            n = frame_count(reader, start, stop)
            if args.gif and n > GIF_MAX_FRAMES:
                raise ValueError(f"--gif: {n:,} frames is over the GIF cap of {GIF_MAX_FRAMES:,} (a GIF is built in "
                                 f"memory); use --mp4, or a narrower --from / --to")
            out["exports"] = []
            for path, kind in ((args.gif, "gif"), (args.mp4, "mp4")):
                if path:
                    written = export(reader, start, stop, path, kind, fps=args.fps, scale=args.scale)
                    out["exports"].append(written)
                    if not args.json:
                        print(f"wrote {written['path']}: {written['frames']} frames (steps {start}..{stop}), "
                              f"{written['width']}x{written['height']}, {args.fps:g} fps, {written['bytes']:,} bytes")
        ok = True
        if args.verify:
            result = verify(reader, start, stop)
            out.update(result)
            ok = result["ok"]
            if not args.json:
                print(verify_text(result, start, stop))
        if args.json:
            print(json.dumps(out, indent=1))
        return 0 if ok else 1


def segment(reader: RunReader, start: int, stop: int | None) -> tuple[int, int]:
    """The inclusive step range asked for, checked against the steps the run holds."""
    last = reader.last(Step)
    if last is None:
        raise ValueError(f"{reader.run_dir} holds no steps yet")
    stop = last.step if stop is None else stop
    if not 0 <= start <= last.step:
        raise ValueError(f"--from {start} is outside the run (steps 0..{last.step})")
    if not start <= stop <= last.step:
        raise ValueError(f"--to {stop} is outside steps {start}..{last.step}")
    return start, stop


def iter_steps(reader: RunReader, start: int, stop: int) -> Iterator[Step]:
    """Step events start..stop (inclusive), CHUNK at a time (RunReader.steps fetches its whole range)."""
    for lo in range(start, stop + 1, CHUNK):
        yield from reader.steps(lo, min(lo + CHUNK, stop + 1))


# --- listing ---------------------------------------------------------------------------------------

def action_text(ev: Step) -> str:
    """`press_buttons UP,A`, `navigate_to 10 9 (14 env actions)`: a macro's call keeps an empty "reasoning"."""
    action = ev.action and {**ev.action, "arguments": {k: v for k, v in ev.action.get("arguments", {}).items()
                                                       if k != "reasoning"}}
    macro = f" ({len(ev.env_actions)} env actions)" if ev.env_actions is not None else ""
    return format_action(action) + macro


def step_line(ev: Step) -> str:
    action = action_text(ev)
    meta = "".join(f"[{c.name}{'' if c.ok else ' failed'}] " for c in ev.calls if c.kind == "meta")
    place = f"{ev.label_before} (stayed)" if ev.where == ev.where_before else f"{ev.label_before} -> {ev.label}"
    reached = f"  ** {', '.join(ev.new_milestones)}" if ev.new_milestones else ""
    why = " ".join(ev.reasoning.split())
    why = f"  | {why[:100]}{'...' if len(why) > 100 else ''}" if why else ""
    return f"{ev.step:>6}  {meta}{action}  {place}  {ev.action_cost}p{reached}{why}"


def step_json(ev: Step) -> dict[str, Any]:
    return {"step": ev.step, "action": ev.action, "env_actions": ev.env_actions,
            "meta_calls": [c.name for c in ev.calls if c.kind == "meta"], "reasoning": ev.reasoning,
            "where_before": ev.where_before, "label_before": ev.label_before, "where": ev.where, "label": ev.label,
            "presses": ev.action_cost, "milestones": ev.new_milestones, "format_failure": ev.format_failure}


def list_steps(reader: RunReader, start: int, stop: int, *, as_json: bool, head: dict[str, Any]) -> None:
    """Print as it reads: the JSON form is one object whose "steps" array is written step by step."""
    if not as_json:
        for ev in iter_steps(reader, start, stop):
            print(step_line(ev))
        return
    print(json.dumps(head)[:-1] + ', "steps": [')
    for i, ev in enumerate(iter_steps(reader, start, stop)):
        print(("," if i else "") + json.dumps(step_json(ev)))
    print("]}")


# --- GIF / MP4 -------------------------------------------------------------------------------------

def frame_count(reader: RunReader, start: int, stop: int) -> int:
    """Steps in the segment with a stored frame (counted inside SQLite); one clear error if none."""
    n = reader.db.execute("SELECT COUNT(*) FROM events WHERE kind='step' AND step BETWEEN ? AND ? "
                          "AND json_extract(data, '$.frame_ref') IS NOT NULL", (start, stop)).fetchone()[0]
    if n == 0:
        if not load_config(reader).store_frames:
            raise ValueError(f"{reader.run_dir} stored no frames (it ran with store_frames off); nothing to export")
        raise ValueError(f"steps {start}..{stop} of {reader.run_dir} have no stored frames; nothing to export")
    return n


def captioned(reader: RunReader, start: int, stop: int, scale: int, block: int = 1) -> Iterator[Image.Image]:
    """Each stored frame, upscaled, with a strip under it naming the step and its action; padded with
    black to a multiple of `block` (MP4)."""
    font = ImageFont.load_default(size=6 * scale + 4)
    strip = 8 * scale + 6
    for ev in iter_steps(reader, start, stop):
        if ev.frame_ref is None:
            continue
        frame = Image.open(io.BytesIO(reader.get_blob(ev.frame_ref))).convert("RGB")
        w, h = frame.width * scale, frame.height * scale
        img = Image.new("RGB", (-(-w // block) * block, -(-(h + strip) // block) * block))
        img.paste(frame.resize((w, h), Image.NEAREST))
        draw = ImageDraw.Draw(img)
        draw.rectangle((0, h, w - 1, h + strip - 1), fill=(48, 48, 48))
        text = f"step {ev.step}: {action_text(ev)}"
        while len(text) > 8 and draw.textlength(text, font=font) > w - 4:
            text = text[:-4] + "..."
        draw.text((2, h + 2), text, fill=(255, 255, 255), font=font)
        yield img


def export(reader: RunReader, start: int, stop: int, path: Path, kind: str, *, fps: float, scale: int,
           ) -> dict[str, Any]:
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = captioned(reader, start, stop, scale, block=1 if kind == "gif" else MP4_BLOCK)
    first, n = next(frames), 0

    def counted() -> Iterator[Image.Image]:
        nonlocal n
        for img in itertools.chain([first], frames):
            n += 1
            yield img

    if kind == "gif":  # Pillow takes any iterable of frames, but holds them all (as palette images) until it writes
        sent = counted()
        next(sent)
        first.save(path, format="GIF", save_all=True, append_images=sent, duration=round(1000 / fps), loop=0)
    else:
        import imageio_ffmpeg

        writer = imageio_ffmpeg.write_frames(str(path), first.size, fps=fps, pix_fmt_out="yuv420p",
                                             macro_block_size=MP4_BLOCK)
        writer.send(None)
        try:
            for img in counted():
                writer.send(np.ascontiguousarray(np.asarray(img)))
        finally:
            writer.close()
    return {"path": str(path), "format": kind, "frames": n, "width": first.width, "height": first.height,
            "bytes": path.stat().st_size}


# --- verify ----------------------------------------------------------------------------------------

def verify(reader: RunReader, start: int, stop: int) -> dict[str, Any]:
    """Re-drive the env over start..stop with the recorded env actions; the first mismatch, if any."""
    env, obs, info, snap, replayed = restore_env(reader, load_config(reader), start)
    out: dict[str, Any] = {"ok": True, "checked": 0, "savestate_step": snap, "replayed_to_start": replayed,
                           "mismatch": None}
    try:
        for ev in iter_steps(reader, start, stop):
            # the Step's obs is what the model saw: the env's observation before the step's actions
            logged, text = reader.get_text(ev.obs_ref), obs["text"]
            what = [] if text == logged else ["observation text"]
            if ev.frame_ref is not None and not same_frame(reader, ev.frame_ref, obs.get("frame")):
                what.append("frame")
            if list(progress_of(info).where) != ev.where_before:
                what.append(f"place before: logged {ev.label_before}, replayed {progress_of(info).text()}")
            if not what:
                try:
                    for action in ev.env_actions if ev.env_actions is not None else [ev.action]:
                        obs, _, _, _, info = env.step(action)  # None: no usable action, time passes (as agent.act)
                except ValueError as e:
                    what.append(f"the env refused a recorded action: {e}")
                else:
                    if list(progress_of(info).where) != ev.where:
                        what.append(f"place after: logged {ev.label}, replayed {progress_of(info).text()}")
            if what:
                diff = list(difflib.unified_diff(logged.splitlines(), text.splitlines(), "logged", "replayed",
                                                 lineterm="", n=1)) if text != logged else []
                out.update(ok=False, mismatch={"step": ev.step, "what": what, "diff": "\n".join(diff[:DIFF_LINES])})
                return out
            out["checked"] += 1
    finally:
        env.close()
    return out


def same_frame(reader: RunReader, ref: str, frame: Any) -> bool:
    """The logged PNG against the replayed frame: by hash, then (another PNG encoder) by pixels."""
    if frame is None:
        return False
    pixels = np.ascontiguousarray(np.asarray(frame)[:, :, :3])
    if blob_ref(frame_png(pixels, 1)) == ref:
        return True
    try:
        logged = np.asarray(Image.open(io.BytesIO(reader.get_blob(ref))).convert("RGB"))
    except StoreError:
        return False
    return logged.shape == pixels.shape and bool((logged == pixels).all())


def verify_text(result: dict[str, Any], start: int, stop: int) -> str:
    if result["ok"]:
        return (f"verified steps {start}..{stop}: {result['checked']} observations match (from the savestate after "
                f"step {result['savestate_step']} and {result['replayed_to_start']} replayed steps)")
    m = result["mismatch"]
    lines = [f"MISMATCH at step {m['step']} (after {result['checked']} matching steps): {'; '.join(m['what'])}"]
    if m["step"] > start and ("observation text" in m["what"] or "frame" in m["what"]):
        lines.append(f"(step {m['step']}'s observation is the state step {m['step'] - 1}'s actions left: either may be "
                     "at fault)")
    return "\n".join(lines + ([m["diff"]] if m["diff"] else []))

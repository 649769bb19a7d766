"""The form env: a pure-Python web-form stand-in (click / type / press_key on a seeded task stream)."""

from envs.form.env import ACTION_TOOLS, INSTRUCTIONS, FormEnv
from envs.form.tasks import KINDS, Element, Task, make_task

__all__ = ["ACTION_TOOLS", "INSTRUCTIONS", "KINDS", "Element", "FormEnv", "Task", "make_task"]

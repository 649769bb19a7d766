"""The desktop env: real GUI programs (our Tk app, Debian's xedit) on a virtual X display (Xvfb)."""

from envs.desktop.env import ACTION_TOOLS, INSTRUCTIONS, DesktopEnv
from envs.desktop.tasks import TASK_TYPES, Task, make_task

__all__ = ["ACTION_TOOLS", "INSTRUCTIONS", "TASK_TYPES", "DesktopEnv", "Task", "make_task"]

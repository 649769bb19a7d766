"""Web envs: MiniWoB++ tasks in one headless Chromium, chained into a continual task stream (env `miniwob`)."""

from envs.web.miniwob import ACTION_TOOLS, INSTRUCTIONS, SUPPORTED_TASKS, MiniWoBEnv, task_at

__all__ = ["ACTION_TOOLS", "INSTRUCTIONS", "SUPPORTED_TASKS", "MiniWoBEnv", "task_at"]

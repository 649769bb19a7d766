"""Skill meta-tools: add (or rewrite) a skill, delete one, run one.

A skill is a name, a description and either Python code (`def run(game, args)`, run in the sandbox) or a
text heuristic. Its versions live in the harness document (harness/state: SkillRef), each pointing to its
code or text stored by hash in the run store; a rewrite adds a version and never overwrites one. Every
change goes through the versions API (ToolContext.commit_harness). `run_skill` runs the current version
in the sandbox with the game served over the tool context: each press is an env action of the agent's
step (counted, logged, replayed on resume), so a skill that pressed ends the step like a macro action.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from skills.bridge import ActBridge
from skills.sandbox import Limits, check_code, run_code, sandbox_problem
from tools.base import BaseTool, NamesOneOf, ToolContext, ToolError, ToolResult

NAME_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"
# each skill is a line of the prompt and a name in run_skill's enum; new versions of one do not count
MAX_SKILLS = 16


class AddSkillArgs(BaseModel):
    name: str = Field(pattern=NAME_PATTERN, description="short snake_case name")
    description: str = Field(max_length=300, description="what it does and when to use it")
    kind: Literal["code", "text"] = Field("code", description="code: Python def run(game, args); text: a heuristic")
    body: str = Field(max_length=6000, description="the code (def run(game, args): ...) or the text")
    why: str = Field("", max_length=200, description="what this version fixes or adds")


class AddSkill(BaseTool):
    name = "add_skill"
    description = ("Add a skill, or a new version of one: Python code `def run(game, args)` using game.press(list), "
                   "game.state(), game.text_map(), game.wait(frames), or a text heuristic. "
                   f"At most {MAX_SKILLS} skills: delete one you no longer use first. Does not act.")
    kind = "meta"
    args = AddSkillArgs

    def run(self, ctx: ToolContext, args: BaseModel) -> ToolResult:
        assert isinstance(args, AddSkillArgs)
        if args.kind == "code":
            problem = sandbox_problem() or check_code(args.body)
            if problem:
                raise ToolError(problem)
        doc = ctx.harness_doc()
        ref = ctx.put_text(args.body)
        old = doc["skills"].get(args.name)
        version = {"ref": ref, "step": ctx.step, "reason": args.why or ("first version" if old is None else "")}
        if old is not None and old["versions"][-1]["ref"] == ref and old["description"] == args.description:
            return ToolResult(content=f"skill {args.name!r} is unchanged")
        doc["skills"][args.name] = {"name": args.name, "description": args.description, "kind": args.kind,
                                    "versions": [*(old["versions"] if old else []), version]}
        n = len(doc["skills"][args.name]["versions"])
        harness = ctx.commit_harness(doc, reason=f"skill {args.name!r} v{n}: {args.why or args.description[:80]}")
        return ToolResult(content=f"skill {args.name!r} version {n} saved (harness v{harness}); "
                                  f"run it with run_skill")


class DeleteSkillArgs(BaseModel):
    name: str = Field(description="the skill to delete")
    why: str = Field(max_length=200, description="why it is no longer useful")


class _NamesSkills(NamesOneOf):
    doc_key = "skills"


class DeleteSkill(_NamesSkills):
    name = "delete_skill"
    description = "Delete a skill (its versions stay on record), saying why. Does not act."
    kind = "meta"
    args = DeleteSkillArgs

    def run(self, ctx: ToolContext, args: BaseModel) -> ToolResult:
        assert isinstance(args, DeleteSkillArgs)
        doc = ctx.harness_doc()
        if args.name not in doc["skills"]:
            raise ToolError(f"no skill {args.name!r}; skills: {', '.join(doc['skills']) or 'none'}")
        del doc["skills"][args.name]
        harness = ctx.commit_harness(doc, reason=f"deleted skill {args.name!r}: {args.why}")
        return ToolResult(content=f"skill {args.name!r} deleted (harness v{harness})")


class RunSkillArgs(BaseModel):
    name: str = Field(description="the skill to run")
    args: dict[str, Any] = Field(default_factory=dict, description="arguments for run(game, args)")


class RunSkill(_NamesSkills):
    name = "run_skill"
    description = ("Run one of your skills. A code skill plays in the game (its presses end your turn) and reports "
                   "its result; a text skill shows its text.")
    kind = "meta"
    args = RunSkillArgs
    limits = Limits()

    def run(self, ctx: ToolContext, args: BaseModel) -> ToolResult:
        assert isinstance(args, RunSkillArgs)
        skill = ctx.harness_doc()["skills"].get(args.name)
        if skill is None:
            raise ToolError(f"no skill {args.name!r}")
        body = ctx.get_text(skill["versions"][-1]["ref"])
        if skill["kind"] == "text":
            return ToolResult(content=f"{args.name}: {body[:1000]}")
        problem = sandbox_problem()
        if problem:
            raise ToolError(problem)
        bridge = ActBridge(lambda action: ctx.act(action), ctx.state)
        with ctx.span(f"skill {args.name} v{len(skill['versions'])}", "skill") as span:  # presses: sub-steps
            result = run_code(body, args.args, bridge, self.limits)
            span.status = "ok" if result.ok else "error"
            span.summary = f"{result.presses} presses: " + (str(result.value) if result.ok else result.error)
        data = {"presses": result.presses, "limit_hit": result.limit_hit, "traceback": result.traceback}
        if not result.ok:
            return ToolResult(ok=False, data=data, content=f"{args.name} failed after {result.presses} presses: "
                                                           f"{result.error}")
        return ToolResult(data=data, content=f"{args.name} ({result.presses} presses): {str(result.value)[:300]}")


class RunCodeArgs(BaseModel):
    code: str = Field(max_length=4000, description="Python; `state` holds the game state (a dict); print() what "
                                                   "you want to see")


class RunCode(BaseTool):
    """Read-only prototyping: the code sees a snapshot of the state, cannot press, and its printout comes back."""

    name = "run_code"
    description = ("Run a Python snippet on a snapshot of the game state (variable `state`, a dict) in the sandbox "
                   "and see what it prints, e.g. to test a path-finding idea before writing a skill. Does not act.")
    kind = "meta"
    args = RunCodeArgs
    limits = Limits(max_presses=0, max_calls=0, cpu_s=2, wall_s=5)

    def run(self, ctx: ToolContext, args: BaseModel) -> ToolResult:
        assert isinstance(args, RunCodeArgs)
        problem = sandbox_problem()
        if problem:
            raise ToolError(problem)
        body = "\n".join(f"    {line}" for line in args.code.splitlines()) or "    pass"
        code = f"def run(game, args):\n    state = args['state']\n{body}\n"
        problem = check_code(code)
        if problem:
            raise ToolError(problem.replace("(line ", "(snippet line ~"))
        result = run_code(code, {"state": ctx.state()}, None, self.limits)
        if not result.ok:
            return ToolResult(ok=False, content=f"error: {result.error}\n{result.stdout[:1000]}".rstrip())
        return ToolResult(content=result.stdout[:1500].rstrip() or "(printed nothing)")

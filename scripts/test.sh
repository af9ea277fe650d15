#!/usr/bin/env bash
# The README's test command (and CI's): install everything the tests need, then run them all.
# pytest's exit code 5 (no tests) fails here too, and so does any skipped test (a skip hides a gap).
set -euo pipefail
cd "$(dirname "$0")/.."

# Chromium for the browser tests of the report and the live page, from Debian's packages.
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "scripts/test.sh: the browser tests need Debian's chromium and chromium-driver:" \
             "sudo apt-get install -y chromium chromium-driver" >&2
        exit 2
    fi
    apt-get update
    apt-get install -y chromium chromium-driver
fi

pip install -e ".[test]"
# The real local model (llama-cpp-python built with portable CPU flags, SmolLM2-135M) for the local_model tests.
bash scripts/install_local_model.sh

log="$(mktemp)"
python -m pytest "$@" | tee "$log"
if tail -n 1 "$log" | grep -q "skipped"; then
    echo "scripts/test.sh: tests were skipped; every test must run (install what it needs instead)" >&2
    exit 1
fi

#!/usr/bin/env bash
# Security scan of the synthesised Terraform (every stack under cdktf.out/stacks) with checkov.
# checkov lives in its own venv (.venv-checkov): its dependency pins clash with the project's .venv.
# Zero failed checks is the bar; every skipped check is listed, with its reason, in .checkov.yaml.
# Usage: scripts/checkov.sh            (synthesises dev first unless SKIP_SYNTH=1 and cdktf.out exists)
set -euo pipefail
cd "$(dirname "$0")/.."

CHECKOV_VERSION=3.3.30
VENV=.venv-checkov
if ! "$VENV/bin/checkov" --version 2>/dev/null | grep -qx "$CHECKOV_VERSION"; then
  echo "Installing checkov $CHECKOV_VERSION into $VENV ..." >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION"
fi

if [[ "${SKIP_SYNTH:-0}" != 1 || ! -d cdktf.out/stacks ]]; then
  npx cdktf synth --output cdktf.out >/dev/null
fi

status=0
for stack_dir in cdktf.out/stacks/*/; do
  stack=$(basename "$stack_dir")
  echo "== checkov: $stack" >&2
  "$VENV/bin/checkov" --config-file .checkov.yaml --directory "$stack_dir" --framework terraform_json \
    --quiet --compact || status=$?
done
exit "$status"

#!/usr/bin/env bash
# Security scan of the synthesised Terraform (every stack under cdktf.out/stacks) with checkov.
# checkov lives in its own venv (.venv-checkov): its dependency pins clash with the project's .venv.
# Zero failed checks is the bar; every skipped check is listed, with its reason, in .checkov.yaml.
# Usage: scripts/checkov.sh   (synthesises PIPELINE_ENV, default dev, into cdktf.out first;
#        SKIP_SYNTH=1 scans an existing synth output, CDKTF_OUT=<dir> picks the folder)
set -euo pipefail
cd "$(dirname "$0")/.."

CHECKOV_VERSION=3.3.30
VENV=.venv-checkov
if ! "$VENV/bin/checkov" --version 2>/dev/null | grep -qx "$CHECKOV_VERSION"; then
  echo "Installing checkov $CHECKOV_VERSION into $VENV ..." >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION"
fi

OUT=${CDKTF_OUT:-cdktf.out}
if [[ "${SKIP_SYNTH:-0}" != 1 || ! -d "$OUT/stacks" ]]; then
  CHECKPOINT_DISABLE=1 PIPELINE_ENV=${PIPELINE_ENV:-dev} npx cdktf synth --output "$OUT" >/dev/null
fi

status=0
for stack_dir in "$OUT"/stacks/*/; do
  stack=$(basename "$stack_dir")
  echo "== checkov: $stack" >&2
  "$VENV/bin/checkov" --config-file .checkov.yaml --directory "$stack_dir" || status=$?
done
exit "$status"

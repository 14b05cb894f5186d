#!/usr/bin/env bash
# Security scan of the synthesised Terraform (every stack under cdktf.out/stacks) with checkov.
# checkov lives in its own venv: its dependency pins clash with the project's .venv. The venv is kept in the user's
# cache (~/.cache/spotify-pipeline/checkov-<version>), not in the checkout, so a fresh clone on the same machine
# does not download its ~100 packages again (over a minute, nearly all of it network); CHECKOV_VENV overrides it.
# Zero failed checks is the bar. Skips are per resource, with their reason, next to the resource in the stack code
# (skipCheck(), constructs/checkov.ts); scripts/checkov-report.ts applies them to checkov's JSON report.
# Usage: scripts/checkov.sh   (synthesises PIPELINE_ENV, default dev, into cdktf.out first;
#        SKIP_SYNTH=1 scans an existing synth output, CDKTF_OUT=<dir> picks the folder)
#        scripts/checkov.sh --install   only installs checkov when missing (make test starts it beside the tests)
set -euo pipefail
cd "$(dirname "$0")/.."

CHECKOV_VERSION=3.3.30
VENV=${CHECKOV_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/spotify-pipeline/checkov-$CHECKOV_VERSION}
installed() { "$VENV/bin/checkov" --version 2>/dev/null | grep -qx "$CHECKOV_VERSION"; }
if ! installed; then
  mkdir -p "$(dirname "$VENV")"
  # One install at a time (parallel test runs of several checkouts share the venv); the others wait, then use it.
  exec 9>"$VENV.lock"
  flock 9
  if ! installed; then
    echo "Installing checkov $CHECKOV_VERSION into $VENV ..." >&2
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION" || { rm -rf "$VENV"; exit 2; }
  fi
  flock -u 9
fi
[[ "${1:-}" == --install ]] && exit 0

OUT=${CDKTF_OUT:-cdktf.out}
if [[ "${SKIP_SYNTH:-0}" != 1 || ! -d "$OUT/stacks" ]]; then
  CHECKPOINT_DISABLE=1 PIPELINE_ENV=${PIPELINE_ENV:-dev} npx cdktf synth --output "$OUT" >/dev/null
fi

REPORT=$(mktemp)
trap 'rm -f "$REPORT"' EXIT
# One checkov over the whole output folder: every stack of dev and, when synth.sh wrote it, prod (with its KMS key;
# their skips differ). One process instead of one per stack: checkov's start-up dominates small stacks. It exits 1
# on findings; checkov-report.ts decides which are accepted.
"$VENV/bin/checkov" --config-file .checkov.yaml --directory "$OUT" --output json > "$REPORT" || true
if ! [[ -s "$REPORT" ]]; then
  echo "checkov produced no report for $OUT" >&2
  exit 2
fi
npx tsx scripts/checkov-report.ts "$OUT" "$REPORT"

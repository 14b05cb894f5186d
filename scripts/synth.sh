#!/usr/bin/env bash
# `cdktf synth` of every stack, as from a clean clone: dev into cdktf.out (what checkov scans), and prod into
# cdktf.out/prod with local state (PIPELINE_LOCAL_STATE=1), so both environment files are proven to synthesise.
set -euo pipefail
cd "$(dirname "$0")/.."
export CHECKPOINT_DISABLE=1
PIPELINE_ENV=dev npx cdktf synth --output cdktf.out >/dev/null
PIPELINE_ENV=prod PIPELINE_LOCAL_STATE=1 npx cdktf synth --output cdktf.out/prod >/dev/null
for out in cdktf.out cdktf.out/prod; do
  count=$(find "$out/stacks" -mindepth 2 -maxdepth 2 -name cdk.tf.json | wc -l)
  if [[ "$count" -ne 3 ]]; then
    echo "synth: expected 3 stacks in $out/stacks, found $count" >&2
    exit 1
  fi
done
echo "synth: dev and prod, 3 stacks each" >&2

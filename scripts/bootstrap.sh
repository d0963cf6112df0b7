#!/usr/bin/env bash
# The README's two commands: `scripts/bootstrap.sh demo` and `scripts/bootstrap.sh test`.
# On a fresh machine it installs what they need first: the Debian packages for the fixture's
# sshd and dockerd (as root), pnpm (the version pinned in package.json), and the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."

what=${1:-test}
shift || true

bash packages/testkit/bin/install-system-deps.sh

want=$(node -p "require('./package.json').packageManager.split('@')[1]")
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version)" != "$want" ]; then
  echo "bootstrap: installing pnpm $want"
  npm install -g --no-fund --no-audit "pnpm@$want" >/dev/null
fi

pnpm install --frozen-lockfile --reporter=append-only >/dev/null
case "$what" in
  demo) exec pnpm run demo "$@" ;;
  test) exec pnpm run test "$@" ;;
  *) echo "usage: scripts/bootstrap.sh demo|test" >&2; exit 2 ;;
esac

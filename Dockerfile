# syntax=docker/dockerfile:1
# The Gannet image: one executable, /opt/gannet/dist/bin/gannet (a Node.js single executable application: the agent
# and CLI, and under its other name gannet-cni the CNI plugin, which the DaemonSet's init container copies to the
# host's /opt/cni/bin, where the container runtime execs it without any Node.js installed), on a slim Debian with
# only what it runs: iproute2, nftables, and the CNI loopback and portmap plugins. No Node.js, no node_modules.
# See docs/kubernetes.md.
#
#   docker build -t gannet:0.1.0 .
#
# Without a registry (as the tests build it, e2e/test/image-build.ts): --build-arg NODE_IMAGE=<a Debian with Node 24
# and npm> --build-arg RUNTIME_IMAGE=<a Debian bookworm>.

ARG NODE_IMAGE=node:24-bookworm-slim
ARG RUNTIME_IMAGE=debian:bookworm-slim

# --- build: Node 24 + the pinned pnpm compile the workspace and write dist/bin/gannet ---------------------------------
FROM ${NODE_IMAGE} AS build
ENV CI=true
WORKDIR /src
# strip (binutils) takes the symbol table off the Node binary the executable is made from: 127 → 109 MB; gcc and
# libc6-dev compile the socket-options addon (scripts/build-native.mjs, against Node's headers in /usr/local/include)
RUN apt-get update \
 && apt-get install -y --no-install-recommends binutils gcc libc6-dev \
 && rm -rf /var/lib/apt/lists/*
# the pnpm of package.json's "packageManager" field
COPY package.json ./
RUN npm install --global --no-fund --no-audit "pnpm@$(node -p 'require("./package.json").packageManager.split("@")[1]')"
# dependencies first (a layer cached until the lockfile or a manifest changes); every workspace project's manifest
# is needed for the frozen lockfile to match
COPY pnpm-lock.yaml pnpm-workspace.yaml tsconfig.json tsconfig.base.json ./
COPY packages/core/package.json packages/core/
COPY packages/bgp/package.json packages/bgp/
COPY packages/routes/package.json packages/routes/
COPY packages/cni/package.json packages/cni/
COPY packages/controller/package.json packages/controller/
COPY packages/policy/package.json packages/policy/
COPY e2e/package.json e2e/
RUN pnpm install --frozen-lockfile
# sources only (no tests, no host node_modules or dist from the build context)
COPY scripts/build-bins.mjs scripts/build-native.mjs scripts/
COPY packages/core/tsconfig.json packages/core/
COPY packages/core/src packages/core/src
COPY packages/bgp/tsconfig.json packages/bgp/
COPY packages/bgp/src packages/bgp/src
COPY packages/bgp/native packages/bgp/native
COPY packages/routes/tsconfig.json packages/routes/
COPY packages/routes/src packages/routes/src
COPY packages/cni/tsconfig.json packages/cni/
COPY packages/cni/src packages/cni/src
COPY packages/policy/tsconfig.json packages/policy/
COPY packages/policy/src packages/policy/src
COPY packages/controller/tsconfig.json packages/controller/
COPY packages/controller/src packages/controller/src
# the executable must answer under both names (the CNI plugin's VERSION, the CLI's help)
RUN pnpm exec tsc -b packages/controller \
 && node scripts/build-bins.mjs \
 && CNI_COMMAND=VERSION ./dist/bin/gannet-cni </dev/null | grep -q cniVersion \
 && ./dist/bin/gannet --help | grep -q 'gannet agent'

# --- runtime: the executable and the programs it runs ----------------------------------------------------------------
FROM ${RUNTIME_IMAGE}
LABEL org.opencontainers.image.title="gannet" \
      org.opencontainers.image.description="Gannet: a Kubernetes CNI with native routing and an embedded BGP speaker"
# the agent programs kernel routes with iproute2 (`ip -batch`, `ip monitor`), and gannet-cni wires pods with it;
# NetworkPolicy is enforced with nftables (`nft`). loopback and portmap come from Debian's containernetworking-plugins,
# unpacked without installing (the package would pull in iptables, which portmap uses on the host, not here, and its
# other 60 MB of plugins): the init container copies them to hosts that lack them (or have an older copy); the runtime
# runs loopback itself, the conflist chains portmap. apt's downloads and lists are not kept.
RUN apt-get update \
 && apt-get install -y --no-install-recommends iproute2 nftables \
 && cd /tmp && apt-get download containernetworking-plugins \
 && mkdir -p /usr/lib/cni \
 && dpkg-deb --fsys-tarfile containernetworking-plugins_*.deb | tar -x -C / ./usr/lib/cni/loopback ./usr/lib/cni/portmap \
 && rm containernetworking-plugins_*.deb \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin \
 && CNI_COMMAND=VERSION /usr/lib/cni/loopback </dev/null | grep -q supportedVersions \
 && CNI_COMMAND=VERSION /usr/lib/cni/portmap </dev/null | grep -q supportedVersions
COPY --from=build /src/dist/bin/gannet /opt/gannet/dist/bin/gannet
# gannet-cni: the same executable under the CNI plugin's name (the init container copies it by that name)
RUN ln -s gannet /opt/gannet/dist/bin/gannet-cni \
 && CNI_COMMAND=VERSION /opt/gannet/dist/bin/gannet-cni </dev/null | grep -q cniVersion
ENV PATH=/opt/gannet/dist/bin:$PATH
# the DaemonSet runs `gannet agent --kubernetes`
CMD ["gannet", "--help"]

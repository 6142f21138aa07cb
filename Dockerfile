# syntax=docker/dockerfile:1
# The Gannet image: the agent (`gannet`, run by the DaemonSet) and the CNI plugin (`gannet-cni`, a Node.js single
# executable that the DaemonSet's init container copies to the host's /opt/cni/bin, where the container runtime
# execs it without any Node.js installed). See docs/kubernetes.md.
#
#   docker build -t gannet:0.1.0 .

ARG NODE_IMAGE=node:24-bookworm-slim

# --- build: Node 24 + the pinned pnpm compile the workspace and write dist/bin/ -------------------------------------
FROM ${NODE_IMAGE} AS build
ENV CI=true
WORKDIR /src
# the pnpm of package.json's "packageManager" field
COPY package.json ./
RUN npm install --global --no-fund --no-audit "pnpm@$(node -p 'require("./package.json").packageManager.split("@")[1]')"
# dependencies first (a layer cached until the lockfile or a manifest changes); every workspace project's manifest
# is needed for the frozen lockfile to match
COPY pnpm-lock.yaml pnpm-workspace.yaml tsconfig.json tsconfig.base.json ./
COPY packages/bgp/package.json packages/bgp/
COPY packages/routes/package.json packages/routes/
COPY packages/cni/package.json packages/cni/
COPY packages/controller/package.json packages/controller/
COPY packages/policy/package.json packages/policy/
COPY e2e/package.json e2e/
RUN pnpm install --frozen-lockfile
# sources only (no tests, no host node_modules or dist from the build context)
COPY scripts/build-bins.mjs scripts/
COPY packages/bgp/tsconfig.json packages/bgp/
COPY packages/bgp/src packages/bgp/src
COPY packages/routes/tsconfig.json packages/routes/
COPY packages/routes/src packages/routes/src
COPY packages/cni/tsconfig.json packages/cni/
COPY packages/cni/src packages/cni/src
COPY packages/controller/tsconfig.json packages/controller/
COPY packages/controller/src packages/controller/src
RUN pnpm exec tsc -b packages/controller \
 && node scripts/build-bins.mjs \
 && test -x dist/bin/gannet \
 && CNI_COMMAND=VERSION ./dist/bin/gannet-cni </dev/null | grep -q cniVersion
# runtime dependencies only: drop typescript, esbuild, mocha… from node_modules
RUN pnpm install --frozen-lockfile --prod --offline
# what the runtime needs, in the workspace's layout (pnpm's node_modules are relative symlinks into
# node_modules/.pnpm, so the tree is copied as it is, symlinks included): manifests, compiled sources, dependencies
RUN mkdir -p /out/dist \
 && cp -a package.json node_modules /out/ \
 && cp -a dist/bin /out/dist/ \
 && for p in bgp routes cni controller; do \
      mkdir -p "/out/packages/$p/dist" \
      && cp -a "packages/$p/package.json" "/out/packages/$p/" \
      && cp -a "packages/$p/dist/src" "/out/packages/$p/dist/" \
      && if [ -d "packages/$p/node_modules" ]; then cp -a "packages/$p/node_modules" "/out/packages/$p/"; fi; \
    done

# --- runtime: Node 24 (for the agent) + the compiled packages + the two executables ----------------------------------
FROM ${NODE_IMAGE}
LABEL org.opencontainers.image.title="gannet" \
      org.opencontainers.image.description="Gannet: a Kubernetes CNI with native routing and an embedded BGP speaker"
ENV NODE_ENV=production
# the agent programs kernel routes with iproute2 (`ip -batch`, `ip monitor`), and gannet-cni wires pods with it;
# Debian's containernetworking-plugins puts loopback and portmap in /usr/lib/cni, which the init container copies
# to hosts that lack them (or have an older copy): the runtime runs loopback itself, the conflist chains portmap
RUN apt-get update \
 && apt-get install -y --no-install-recommends iproute2 containernetworking-plugins \
 && rm -rf /var/lib/apt/lists/* \
 && CNI_COMMAND=VERSION /usr/lib/cni/loopback </dev/null | grep -q supportedVersions \
 && CNI_COMMAND=VERSION /usr/lib/cni/portmap </dev/null | grep -q supportedVersions
WORKDIR /opt/gannet
COPY --from=build /out/ ./
ENV PATH=/opt/gannet/dist/bin:$PATH
# the DaemonSet runs `gannet agent --kubernetes`
CMD ["gannet", "--help"]

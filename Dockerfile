# The fme-s3-integration image: one image for the worker (default command) and the
# notification endpoint (`node lib/src/endpoint/main.js`).
#
# Debian (glibc), not Alpine: @duckdb/node-api ships prebuilt linux-x64/arm64 glibc
# binaries only. Works on amd64 and arm64 hosts.
#
#   docker build -t fme-s3-integration .
#   docker run --rm -e TEMPORAL_ADDRESS=host.docker.internal:7233 fme-s3-integration

ARG NODE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------------------- build
FROM ${NODE_IMAGE} AS build

# lzo is compiled by node-gyp during `npm ci`: it needs python3, make and a C++ compiler.
# Build-stage only, so Debian's current versions are fine (not pinned).
# hadolint ignore=DL3008
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*

# Compile native addons against the headers that ship with this Node (/usr/local/include/node)
# instead of downloading them from nodejs.org during the build.
ENV npm_config_nodedir=/usr/local \
    npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false

WORKDIR /app

# Dependencies first, so that editing sources does not reinstall them.
COPY package.json package-lock.json ./
RUN npm ci

# tsconfig.json compiles src/, test/ and bench/ into lib/ (.dockerignore keeps the rest out).
COPY . .
RUN npm run build \
  && npm prune --omit=dev

# -------------------------------------------------------------------------- runtime
FROM ${NODE_IMAGE} AS runtime

ENV NODE_ENV=production \
    WORK_DIR=/data/work

WORKDIR /app

# bzip2: whole-file bzip2 is undone (files sent to us) and done (bzip2 exports) with the native tool; the JavaScript fallbacks are slower.
RUN apt-get update \
  && apt-get install -y --no-install-recommends bzip2 \
  && rm -rf /var/lib/apt/lists/*

# /data holds the work directory (downloaded files, chunks, DuckDB spill files). It is
# scratch space: each container should have its own (see docker-compose.yml).
RUN mkdir -p /data/work && chown -R node:node /data

# The application stays owned by root: the process can read it, not change it.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/lib ./lib

# Non-root: the `node` user (uid/gid 1000) of the official Node image, numeric so that
# Kubernetes' runAsNonRoot can check it.
USER 1000:1000

VOLUME ["/data"]

# No HEALTHCHECK: the worker serves no port to probe. A fatal error ends the process
# (let the orchestrator's restart policy bring it back), and Temporal shows which workers
# poll a task queue (Web UI: the task queue's pollers).
CMD ["node", "lib/src/worker.js"]

# joinery's image: `joinery serve` in a cluster (see `joinery manifests` and docs/provisioner.md#deployment).
#   docker build -t ghcr.io/joinery/joinery:0.1.0 .
# Build stage: the full toolchain (tsc, esbuild), then only the production dependencies are kept.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are copied (esbuild finds its binary without its postinstall).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY bin ./bin
RUN npm run build && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# Runtime stage: node and the built CLI only. npm, npx, yarn and corepack are removed (not needed at run
# time, and each is code a vulnerability can be in). Nothing is written at run time outside /tmp, so the
# container runs with a read-only root filesystem (the Deployment mounts an emptyDir at /tmp).
FROM node:20-bookworm-slim
RUN rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-* \
 && mkdir -p /etc/joinery
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=0:0 /src/package.json ./package.json
COPY --from=build --chown=0:0 /src/bin ./bin
COPY --from=build --chown=0:0 /src/dist ./dist
COPY --from=build --chown=0:0 /src/node_modules ./node_modules
# The uid/gid the manifests run as (runAsUser/runAsGroup/fsGroup 65532); files stay root-owned and read-only to it.
USER 65532:65532
EXPOSE 8443
ENTRYPOINT ["node", "/app/bin/joinery"]
CMD ["serve", "--config", "/etc/joinery/joinery.yaml"]

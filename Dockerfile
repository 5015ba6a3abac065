# Kiln's apps in one image, built with `turbo prune` so only what api, worker, webhooks and the
# dashboard need is installed. docker-compose.yml picks the command per service.
FROM node:20-bookworm-slim AS base
ENV TURBO_TELEMETRY_DISABLED=1
WORKDIR /app

# 1. Prune the monorepo to the four apps and their internal packages.
FROM base AS prune
COPY . .
RUN npx --yes turbo@2.11.11 prune @kiln/api @kiln/worker @kiln/webhooks @kiln/dashboard --docker

# 2. Install from the pruned lockfile (cached until a package.json changes), then build.
FROM base AS build
COPY --from=prune /app/out/json/ .
COPY --from=prune /app/out/package-lock.json ./package-lock.json
RUN npm ci --no-audit --no-fund
COPY --from=prune /app/out/full/ .
COPY tsconfig.json ./
RUN npx turbo run build --filter=@kiln/api --filter=@kiln/worker --filter=@kiln/webhooks --filter=@kiln/dashboard \
 && npm prune --omit=dev --no-audit --no-fund

# 3. Runtime: Node, ffmpeg, the built apps; runs as the unprivileged `node` user.
FROM base AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build --chown=node:node /app /app
RUN mkdir -p /data/storage /inputs && chown -R node:node /data
USER node
ENV NODE_ENV=production KILN_STORAGE_DIR=/data/storage KILN_INPUT_ROOTS=/inputs
EXPOSE 3000 3001 3002 9100
CMD ["node", "apps/api/dist/main.js"]

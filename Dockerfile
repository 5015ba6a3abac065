# One image for every Kiln app; docker-compose.yml picks the command per service.
FROM node:20-bookworm-slim AS build
WORKDIR /app
ENV TURBO_TELEMETRY_DISABLED=1
COPY . .
RUN npm ci --no-audit --no-fund && npx turbo run build && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build --chown=node:node /app /app
RUN mkdir -p /data/storage /inputs && chown -R node:node /data
USER node
ENV NODE_ENV=production KILN_STORAGE_DIR=/data/storage KILN_INPUT_ROOTS=/inputs
CMD ["node", "apps/api/dist/main.js"]

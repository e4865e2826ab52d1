# pod-api: one image for the API and the reference encoder (the command
# differs). Node 24 runs the TypeScript sources directly (type stripping).
# The administration SPA is built with the dev dependencies, in a stage of its own.
FROM node:24-bookworm-slim AS admin
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY admin ./admin
RUN npm run build:admin

FROM node:24-bookworm-slim

# ffprobe checks uploads in the API; ffmpeg encodes in the reference encoder.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg ca-certificates \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY migrations ./migrations
COPY src ./src
COPY --from=admin /app/admin/dist ./admin/dist
# Test helpers are not part of the image.
RUN rm -rf src/test-support && find src -name '*.test.ts' -delete

ENV NODE_ENV=production HOST=0.0.0.0 PORT=8000 MEDIA_DIR=/var/lib/pod/media
RUN mkdir -p /var/lib/pod/media && chown -R node:node /var/lib/pod

# Memory (README, "Deploying and scaling out"; docs/benchmarks.md): Node's
# compile cache (src/core/compile-cache.js) is filled here, so every
# container starts without loading the type-stripping compiler. The fill
# loads every module main.ts imports, then stops at the configuration check
# (exit 78: no configuration at build time).
ENV NODE_COMPILE_CACHE=/app/.compile-cache
RUN (PORT=fill-the-compile-cache node --max-semi-space-size=1 --import=./src/core/compile-cache.js src/main.ts 2>/dev/null \
  || test $? -eq 78) && chown -R node:node /app/.compile-cache
USER node
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/api/v1/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# The encoder: `docker run … pod-api node src/encoder/main.ts`
# The flags of `npm start` (package.json): see the README, "Deploying and scaling out".
# MALLOC_ARENA_MAX=2: glibc keeps two malloc arenas (6–9 MiB less resident),
# for the API only — ffmpeg, which the encoder starts, keeps glibc's default.
CMD ["env", "MALLOC_ARENA_MAX=2", "node", "--max-semi-space-size=1", "--import=./src/core/compile-cache.js", "src/main.ts"]

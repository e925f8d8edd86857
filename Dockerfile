# syntax=docker/dockerfile:1
#
# Image of the realtime server (Fastify + Socket.IO on one port), which also serves the built client.
#   docker build -t hackmeshi .
#   docker run --rm -p 3000:3000 -e SESSION_SECRET="$(openssl rand -base64 48)" hackmeshi
# Without DATABASE_URL / REDIS_URL it runs in embedded mode (PGlite under /app/data); docker-compose.yml
# runs the scaled mode (Postgres, Redis, two replicas behind nginx, coturn).

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- deps: every dependency (dev included), cached on the manifests only --------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY shared/package.json shared/
COPY server/package.json server/
COPY client/package.json client/
RUN npm ci --no-audit --no-fund

# ---- build: shared/dist, server/dist, client/dist --------------------------------------------------
FROM deps AS build
COPY . .
RUN npm run build

# ---- prod-deps: production dependencies only (workspace links included) ----------------------------
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY shared/package.json shared/
COPY server/package.json server/
COPY client/package.json client/
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- runtime -----------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/app/data
WORKDIR /app
# node_modules (hoisted, with the symlinks node_modules/@hackmeshi/* -> ../../<workspace>) and the
# package.json files; workspace-local node_modules come along if npm made any.
COPY --from=prod-deps /app ./
COPY --from=build /app/shared/dist shared/dist
COPY --from=build /app/server/dist server/dist
COPY --from=build /app/client/dist client/dist
# Embedded mode keeps its files here; the only path the app writes to.
RUN mkdir -p /app/data && chown node:node /app/data
# The official image's unprivileged user (uid 1000).
USER node
EXPOSE 3000
# The slim image has no curl or wget: ask Node itself. /healthz = the process is alive.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# exec form: node is PID 1 and receives SIGTERM directly (graceful shutdown drains sockets).
# The flags are those of `npm start` (docs/decisions.md: "A bigger young generation").
CMD ["node", "--max-semi-space-size=64", "server/dist/main.js"]

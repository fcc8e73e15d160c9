# TaskFlow app image: the Reflex UI (compiled to static files at build time) and the
# backend (FastAPI REST API + Reflex WebSocket) served together on port 3000.
#
#   docker build -f Dockerfile.app -t taskflow/app:0.1.0 .
#
# Build argument REFLEX_API_URL is baked into the frontend bundle. The default,
# http://localhost, makes the browser talk to whatever host and default port (80/443)
# served the page, which is what an Ingress gives; for a port-forward on 3000 build with
# --build-arg REFLEX_API_URL=http://localhost:3000.
# The image also runs the schema migrations (`alembic upgrade head`, k8s migration Job).

ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm
ARG NODE_IMAGE=node:22.23.3-bookworm-slim

# Node.js is needed to build the frontend only; it never reaches the final image.
FROM ${NODE_IMAGE} AS node

FROM ${PYTHON_IMAGE} AS build
ARG UV_VERSION=0.13.9
ARG REFLEX_API_URL=http://localhost
ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy
# Node's binary needs the C++ runtime, which the slim Python image lacks.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libstdc++6 \
    && rm -rf /var/lib/apt/lists/*
RUN pip install "uv==${UV_VERSION}"
WORKDIR /app
# Dependencies first (exactly uv.lock, the app's group only), so code changes reuse this layer.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-default-groups --group app --python /usr/local/bin/python3
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
    && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
    && node --version && npm --version
# The source (.dockerignore lets in only what the service needs).
COPY . .
# Compile the Reflex frontend to .web/build/client with Node, then drop what only the
# build needed (node_modules, caches) from .web.
ENV PATH=/opt/venv/bin:$PATH \
    REFLEX_USE_NPM=1 \
    REFLEX_TELEMETRY_ENABLED=false \
    REFLEX_CHECK_LATEST_VERSION=false \
    REFLEX_HTTP_CLIENT_BIND_ADDRESS=0.0.0.0 \
    REFLEX_DIR=/tmp/reflex
RUN --mount=type=cache,target=/root/.npm \
    REFLEX_API_URL="${REFLEX_API_URL}" reflex export --frontend-only --no-zip --loglevel info \
    && test -f .web/build/client/index.html \
    && rm -rf .web/node_modules .web/.vite .data .states reflex.lock /tmp/reflex \
    && find . -name __pycache__ -prune -exec rm -rf {} + \
    && python -m compileall -q app processors alembic

FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="taskflow-app" \
      org.opencontainers.image.description="TaskFlow: Reflex UI and API on port 3000"
RUN groupadd --gid 10001 taskflow \
    && useradd --uid 10001 --gid taskflow --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin taskflow
# Production backend with the compiled frontend mounted on the same port: what
# `reflex run --env prod` starts once its frontend build is done, without Node at run time.
# The root file system may be read-only: everything Reflex writes goes under /tmp.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    REFLEX_ENV_MODE=prod \
    __REFLEX_SKIP_COMPILE=true \
    __REFLEX_MOUNT_FRONTEND_COMPILED_APP=true \
    REFLEX_USE_GRANIAN=true \
    REFLEX_TELEMETRY_ENABLED=false \
    REFLEX_CHECK_LATEST_VERSION=false \
    REFLEX_DIR=/tmp/reflex \
    REFLEX_STATES_WORKDIR=/tmp/reflex-states \
    REFLEX_UPLOADED_FILES_DIR=/tmp/uploaded_files \
    GRANIAN_INTERFACE=asgi \
    GRANIAN_HOST=0.0.0.0 \
    GRANIAN_PORT=3000 \
    GRANIAN_WORKERS=1
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
USER 10001:10001
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3000/health/live', timeout=4)"]
CMD ["granian", "--factory", "app.app:app"]

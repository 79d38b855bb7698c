# icp-sync service image (python:3.11-slim, non-root).
#   docker build -t icp-sync .
#   docker run -p 8000:8000 -e ICP_SYNC_DATABASE_URL=postgresql+psycopg://user@db/icp icp-sync
# The service applies database migrations on start, then serves the API.
FROM python:3.11-slim AS build
ENV UV_PROJECT_ENVIRONMENT=/opt/venv UV_PYTHON_DOWNLOADS=never UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /srv/icp-sync
# Dependencies first, exactly as locked, so a code change does not rebuild this layer; without
# the `sandbox` extra (trustme), which only the CRM sandbox uses.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project --extra semantic
# Only what the service needs: the CRM sandbox (crm_sandbox/), tests and benchmarks stay out
# (.dockerignore keeps them out of the build context too). The editable install does not need
# them; `icp-sync sandbox` and `icp-sync demo` say so in one line here, and
# tests/app/test_without_sandbox.py proves the service starts and serves without the sandbox.
COPY app ./app
COPY connectors ./connectors
COPY migrations ./migrations
COPY alembic.ini ./
RUN uv sync --frozen --no-dev --extra semantic

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 icp && mkdir /data && chown icp:icp /data
# The project is installed editable into /opt/venv, pointing at /srv/icp-sync, where
# migrations/ sits beside app/.
COPY --from=build /opt/venv /opt/venv
COPY --from=build /srv/icp-sync /srv/icp-sync
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    ICP_SYNC_DATABASE_URL=sqlite:////data/icp-sync.db
WORKDIR /data
VOLUME ["/data"]
USER icp
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
CMD ["icp-sync", "serve", "--host", "0.0.0.0", "--port", "8000"]

# hlsguide API worker. Build: docker build -t hlsguide .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HLSGUIDE_DATA_DIR=/data \
    HLSGUIDE_HOST=0.0.0.0 \
    HLSGUIDE_PORT=8000

WORKDIR /app
# torch's CPU build from PyTorch's index: PyPI's default build carries CUDA (several GB).
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0
COPY pyproject.toml README.md server.py ./
COPY src ./src
COPY prompts ./prompts
COPY corpus ./corpus
# Editable, so prompts/ and corpus/ are read from /app as in a checkout.
RUN pip install -e . && useradd --create-home --uid 10001 hlsguide \
    && mkdir -p /data && chown hlsguide /data
USER hlsguide

EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=6s --start-period=120s --retries=3 \
    CMD ["python", "-m", "hlsguide.healthcheck"]
# One uvicorn process per container: scale by running more containers behind the balancer.
CMD ["uvicorn", "server:app", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers"]

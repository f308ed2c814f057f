# Veil API image (CPU or GPU node). Models are baked in from models/; nothing is downloaded at run time.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 VEIL_MODELS_DIR=/app/models
WORKDIR /app
COPY pyproject.toml README.md ./
COPY service ./service
RUN pip install --no-cache-dir . && useradd --uid 10001 --no-create-home veil
COPY models ./models
USER 10001
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["veil", "serve", "--host", "0.0.0.0", "--port", "8000"]

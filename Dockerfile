# Veil's image. Models are baked in read-only from models/; nothing is downloaded at run time.
#
#   CPU (default):  docker build -t veil .
#   GPU:            docker build --build-arg FLAVOUR=cuda -t veil:cuda .
#                   (PyTorch engine; PyPI's torch 2.14.1 wheel carries CUDA 13 libraries, so the node
#                   needs an NVIDIA driver >= 580 and the NVIDIA container toolkit / device plugin)
#   Other base:     --build-arg BASE=<image with python3 3.11-3.13 and its venv module>, e.g. a Debian
#                   bookworm rootfs imported into podman (see deploy/podman/build.sh: no registry needed)
ARG BASE=python:3.11-slim

FROM ${BASE} AS build
ARG FLAVOUR=cpu
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
RUN python3 -m venv /opt/veil
WORKDIR /src
COPY pyproject.toml README.md ./
# dependencies first, from pyproject.toml alone (an empty package stands in): a code change reuses this layer
RUN mkdir service && touch service/__init__.py \
    && case "$FLAVOUR" in \
      cpu) /opt/veil/bin/pip install --quiet . ;; \
      cuda) /opt/veil/bin/pip install --quiet ".[cuda]" ;; \
      *) echo "FLAVOUR must be cpu or cuda" >&2; exit 1 ;; \
    esac \
    && rm -rf service
COPY service ./service
RUN /opt/veil/bin/pip install --quiet --no-deps --force-reinstall . && rm -rf build
COPY models /opt/veil-models
# the CPU image serves ONNX files only; the PyTorch weights are for the cuda flavour
RUN if [ "$FLAVOUR" = cpu ]; then find /opt/veil-models -name '*.safetensors' -delete; fi \
    && chmod -R a=rX /opt/veil-models

FROM ${BASE}
ARG FLAVOUR=cpu
LABEL org.opencontainers.image.title="Veil" \
      org.opencontainers.image.description="Anonymizes faces and license plates in photos and videos" \
      org.opencontainers.image.version="0.1.0"
ENV PATH=/opt/veil/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    VEIL_MODELS_DIR=/opt/veil-models VEIL_JOBS_DIR=/var/lib/veil/jobs
COPY --from=build /opt/veil /opt/veil
COPY --from=build /opt/veil-models /opt/veil-models
# a numeric user with an entry (minimal bases have no useradd); its only writable place is the jobs dir
RUN echo "veil:x:10001:10001:Veil:/nonexistent:/usr/sbin/nologin" >> /etc/passwd \
    && echo "veil:x:10001:" >> /etc/group \
    && mkdir -p /var/lib/veil/jobs && chown -R 10001:10001 /var/lib/veil
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["python3", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/readyz', timeout=2)"]
# exec form: veil (uvicorn) is PID 1 and shuts down gracefully on SIGTERM
ENTRYPOINT ["veil"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]

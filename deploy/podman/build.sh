#!/usr/bin/env bash
# Build Veil's image with podman where no container registry is reachable: the base image is a Debian
# bookworm rootfs (Python 3.11) made by mmdebstrap from this machine's own apt mirror, imported once.
#
#   deploy/podman/build.sh                 # localhost/veil:cpu
#   FLAVOUR=cuda TAG=localhost/veil:cuda deploy/podman/build.sh
#
# Needs (Debian): podman buildah runc mmdebstrap uidmap slirp4netns fuse-overlayfs catatonit.
# The base rootfs tar is cached in $VEIL_IMAGE_CACHE (default ~/.cache/veil). Run images with
# CONTAINERS_CONF=$VEIL_IMAGE_CACHE/containers.conf (this script writes it): runc, cgroupfs, host
# network for builds, ulimits the kernel allows.
set -euo pipefail
cd "$(dirname "$0")/../.."
TAG=${TAG:-localhost/veil:cpu}
FLAVOUR=${FLAVOUR:-cpu}
BASE=localhost/veil-base:bookworm
CACHE=${VEIL_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/veil}
mkdir -p "$CACHE"

cat > "$CACHE/containers.conf" <<'CONF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
netns = "host"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
export CONTAINERS_CONF="$CACHE/containers.conf"

# the machine's own Debian mirror (never a host name written here)
mirror=$(grep -rhoE '(^deb |^URIs:) *[a-z]+://[^ ]+' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
  | awk '{print $NF}' | grep -E '/debian/?$' | head -n1 || true)
if ! podman image exists "$BASE"; then
  if [ ! -s "$CACHE/bookworm-base.tar" ]; then
    [ -n "$mirror" ] || { echo "no Debian mirror in the apt sources" >&2; exit 1; }
    mmdebstrap --quiet --variant=minbase --include=python3,python3-venv,ca-certificates \
      bookworm "$CACHE/bookworm-base.part.tar" "$mirror"
    mv "$CACHE/bookworm-base.part.tar" "$CACHE/bookworm-base.tar"
  fi
  podman import --quiet "$CACHE/bookworm-base.tar" "$BASE" >/dev/null
fi

# registries may sit behind a TLS-intercepting proxy whose CA only the host trusts: lend the host's
# bundle to the build (it is not copied into the image)
ca=/etc/ssl/certs/ca-certificates.crt
podman build --quiet --format docker --network=host -v "$ca:$ca:ro" \
  --build-arg BASE="$BASE" --build-arg FLAVOUR="$FLAVOUR" -t "$TAG" . >/dev/null
echo "$TAG"

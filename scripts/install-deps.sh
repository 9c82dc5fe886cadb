#!/bin/sh
# Install the Debian packages emu needs, only when some are missing.
# This script is the one place (with the Makefile calling it) where packages are named.
# Usage: scripts/install-deps.sh [--check]   (--check: only report what is missing, exit 1 if any)
set -eu

PACKAGES="build-essential pkg-config libelf-dev libcapstone-dev zlib1g-dev liblzma-dev \
libsdl2-dev libsdl2-ttf-dev libsdl2-image-dev fonts-dejavu-core libinih-dev musl-tools csmith libcsmith-dev \
valgrind qemu-user cpio libcmocka-dev hyperfine clang libclang-rt-14-dev xvfb x11-apps xdotool"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    exit 0
fi
if [ "${1:-}" = "--check" ]; then
    echo "missing packages:$missing" >&2
    exit 1
fi

echo "emu: installing missing packages:$missing" >&2
SUDO=""
if [ "$(id -u)" != 0 ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists when they are absent or older than a day.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -n 1)" ]; then
    $SUDO apt-get update -q
fi
# shellcheck disable=SC2086
if ! $SUDO apt-get install -y -q --no-install-recommends $missing; then
    $SUDO apt-get update -q
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -q --no-install-recommends $missing
fi

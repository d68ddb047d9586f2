#!/usr/bin/env bash
# Installs the Debian 12 packages this project builds, tests and runs with.
# Idempotent: installs only what is missing. Needs root (or sudo) and Debian's archive.
#   scripts/install-deps.sh [--training]
# The list is the one in shared ARCHITECTURE.md's dependency table, plus test tools.
set -euo pipefail

pkgs=(
	# build
	meson ninja-build pkg-config gcc clang libclang-rt-14-dev
	# core libraries
	liblmdb-dev lmdb-utils libssl-dev libjansson-dev
	# recognition and OCR training
	libtesseract-dev libleptonica-dev tesseract-ocr python3-pil python3-numpy
	fonts-dejavu-core fonts-liberation2 fonts-freefont-ttf fonts-urw-base35
	# GPS
	libgps-dev gpsd gpsd-clients
	# capture
	libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-plugins-base
	gstreamer1.0-plugins-good gstreamer1.0-libcamera gstreamer1.0-tools
	# UI
	libgtk-4-dev xvfb xauth imagemagick espeak-ng
	# sync
	libcurl4-openssl-dev libmicrohttpd-dev openssl
	# tests and tools
	clang-format hyperfine valgrind python3
	# plate OCR training fonts + eval (tools/train-ocr)
	fonts-opendin fonts-bebas-neue fonts-roboto-unhinted fonts-open-sans fonts-league-spartan fonts-b612 fonts-cantarell python3-scipy
	# sync station: client certificates through GnuTLS (libmicrohttpd's TLS)
	libgnutls28-dev
)

# --training: also what retrains the project's models (tools/train-chars, tools/train-ocr);
# large, and not needed to build, test or run.
if [ "${1:-}" = "--training" ]; then
	pkgs+=(python3-torch)
fi

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

SUDO=
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
fi
echo "install-deps: installing ${#missing[@]} Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

#!/usr/bin/env bash
# Installs Debian's non-free NVRTC (libnvrtc.so.11.2 = NVRTC 11.8) so that CI, which has no GPU, can compile every
# CUDA source the generator emits to PTX (DESIGN.md 7). Idempotent: does nothing when the library is already there.
# Adds a deb822 source for the non-free component that repeats the URIs and Signed-By of the machine's own Debian
# source. Needs root (CI and developer machines run as root). Prints where the library is.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"   # ldconfig

find_nvrtc() {
    ldconfig -p 2>/dev/null | awk '/libnvrtc\.so\.11\.2 /{print $NF; exit}'
}

if [ -n "$(find_nvrtc)" ] && dpkg -s libnvrtc-builtins11.8 >/dev/null 2>&1; then
    echo "install-nvrtc: already installed: $(find_nvrtc)"
    exit 0
fi

main_sources=/etc/apt/sources.list.d/debian.sources
nonfree_sources=/etc/apt/sources.list.d/gradgen-debian-non-free.sources
if [ ! -f "$nonfree_sources" ]; then
    if [ ! -f "$main_sources" ]; then
        echo "install-nvrtc: $main_sources not found: cannot tell which Debian mirror to use" >&2
        exit 1
    fi
    # The first stanza whose Suites name bookworm (not bookworm-security): its URIs and Signed-By.
    read -r uris signed_by < <(awk '
        BEGIN { RS = ""; FS = "\n" }
        {
            u = ""; s = ""; suites = ""
            for (i = 1; i <= NF; i++) {
                if ($i ~ /^URIs:/)      { u = $i; sub(/^URIs:[ \t]*/, "", u) }
                if ($i ~ /^Signed-By:/) { s = $i; sub(/^Signed-By:[ \t]*/, "", s) }
                if ($i ~ /^Suites:/)    { suites = $i }
            }
            if (suites ~ /(^|[ \t])bookworm([ \t]|$)/ && u != "") { print u, s; exit }
        }' "$main_sources")
    if [ -z "${uris:-}" ]; then
        echo "install-nvrtc: no bookworm stanza with URIs in $main_sources" >&2
        exit 1
    fi
    {
        echo "Types: deb"
        echo "URIs: $uris"
        echo "Suites: bookworm bookworm-updates"
        echo "Components: non-free"
        if [ -n "${signed_by:-}" ]; then echo "Signed-By: $signed_by"; fi
    } > "$nonfree_sources"
    echo "install-nvrtc: wrote $nonfree_sources"
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends libnvrtc11.2 libnvrtc-builtins11.8 >/dev/null

if [ -z "$(find_nvrtc)" ]; then
    ldconfig
fi
lib="$(find_nvrtc)"
if [ -z "$lib" ]; then
    echo "install-nvrtc: libnvrtc.so.11.2 is not in the loader cache after the install" >&2
    exit 1
fi
echo "install-nvrtc: installed: $lib"

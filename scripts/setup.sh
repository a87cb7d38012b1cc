#!/usr/bin/env bash
# Installs everything humbridge's build, tests and benchmarks need on Debian 12
# (run as root): the Debian packages the integration tests use, then the npm
# packages exactly as package-lock.json pins them, then the build.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(diod qemu-system-x86 busybox-static uml-utilities socat cpio gcc libc6-dev fio python3 util-linux fuse3 rsync sqlite3 bindfs git)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages: ${missing[*]} (run as root, or install them)" >&2
  else
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

# The kernel makes /dev/fuse mode 0666 (devtmpfs); a container's hand-made /dev
# may have 0600, which keeps users (fusermount3) out of FUSE.
if [ -c /dev/fuse ] && [ "$(id -u)" -eq 0 ] && [ "$(stat -c %a /dev/fuse)" != 666 ]; then
  chmod 0666 /dev/fuse
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build --silent

#!/usr/bin/env bash
# Installs the system packages joinery's tests use, from Debian, when they are missing:
#   openssl  - the reference for CA pins (openssl x509 | openssl pkey | sha256sum) in the tests
#   xz-utils - unpacks the Kubernetes test binaries from ../shared/testbed/*.tar.xz
# Node.js >= 20.19 and npm must already be on the machine.
set -euo pipefail
need=()
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v xz >/dev/null 2>&1 || need+=(xz-utils)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi
node -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a<20||(a===20&&b<19)) { console.error("joinery needs Node.js >= 20.19, found "+process.versions.node); process.exit(1) }'

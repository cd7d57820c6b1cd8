#!/usr/bin/env bash
# Installs the system packages joinery's tests use, from Debian, when they are missing:
#   openssl           - the reference for CA pins (openssl x509 | openssl pkey | sha256sum) and test CSRs
#   xz-utils          - unpacks the Kubernetes test binaries from ../shared/testbed/*.tar.xz
#   etcd-server       - the testbed's etcd (src/testbed)
#   cloud-init        - `cloud-init schema`, the validator of every cloud-config joinery renders
#   ignition          - `ignition-validate`, the validator of Ignition spec 3.3.0 documents
#   shellcheck        - checks every shell script joinery renders
#   containerd, runc  - the container runtime of the testbed's nodes (a real kubelet joins); runc also runs
#                       joinery's image as the Deployment's pod (test/support/image.ts)
#   buildah, mmdebstrap - build the Dockerfile's image, on a stand-in of its base image made from Debian's
#                       mirror (scripts/stand-in-node-image.sh: no container registry is reachable here)
# Node.js >= 20.19 and npm must already be on the machine. When the Kubernetes binaries are neither in
# ../shared/testbed nor in the cache, `joinery testbed up --build` builds them from Debian's source package.
# The newer Kubernetes versions and their etcd are built from Go modules by testbed/k8s/build.sh (Go >= 1.24
# and the module proxy; `npm test` does it on first use, about 13 min per version on 2 cores, then cached).
set -euo pipefail
need=()
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v xz >/dev/null 2>&1 || need+=(xz-utils)
[ -x /usr/bin/etcd ] || need+=(etcd-server)
command -v cloud-init >/dev/null 2>&1 || need+=(cloud-init)
command -v ignition-validate >/dev/null 2>&1 || need+=(ignition)
command -v shellcheck >/dev/null 2>&1 || need+=(shellcheck)
command -v containerd >/dev/null 2>&1 || need+=(containerd)
command -v runc >/dev/null 2>&1 || need+=(runc)
command -v buildah >/dev/null 2>&1 || need+=(buildah)
command -v mmdebstrap >/dev/null 2>&1 || need+=(mmdebstrap)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
node -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a<20||(a===20&&b<19)) { console.error("joinery needs Node.js >= 20.19, found "+process.versions.node); process.exit(1) }'

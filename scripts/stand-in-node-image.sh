#!/usr/bin/env bash
# Builds a local stand-in for the Dockerfile's base image, docker.io/library/node:20-bookworm-slim, where no
# container registry can be reached (this workplace): Debian bookworm (mmdebstrap --variant=minbase, from
# Debian's mirror, as debian:bookworm-slim is made) plus this machine's Node.js laid out as the official node
# image lays it out (/usr/local/bin/node, /usr/local/lib/node_modules/{npm,corepack}, the npm/npx/corepack
# links). It is stored in buildah's local image store under the official name, so that
# `buildah bud --pull=never .` builds the unchanged Dockerfile on it. Needs root, mmdebstrap and buildah.
#   scripts/stand-in-node-image.sh [image-name]
set -euo pipefail
name=${1:-docker.io/library/node:20-bookworm-slim}
node_bin=$(command -v node)
node_version=$("$node_bin" -p process.versions.node)
case "$node_version" in 20.*) ;; *) echo "stand-in-node-image: this machine's node is $node_version, the image is node 20" >&2; exit 1 ;; esac
global=$(npm root -g)
work=$(mktemp -d)
ctr=
cleanup() { [ -n "$ctr" ] && buildah rm "$ctr" >/dev/null 2>&1; rm -rf "$work"; }
trap cleanup EXIT
mmdebstrap --quiet --variant=minbase --mode=root bookworm "$work/rootfs.tar" http://deb.debian.org/debian
mkdir -p "$work/node/usr/local/bin" "$work/node/usr/local/lib/node_modules"
cp "$node_bin" "$work/node/usr/local/bin/node"
cp -a "$global/npm" "$global/corepack" "$work/node/usr/local/lib/node_modules/"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$work/node/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$work/node/usr/local/bin/npx"
ln -s ../lib/node_modules/corepack/dist/corepack.js "$work/node/usr/local/bin/corepack"
ctr=$(buildah from scratch)
buildah add --quiet "$ctr" "$work/rootfs.tar" / >/dev/null
buildah copy --quiet "$ctr" "$work/node" / >/dev/null
buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --env "NODE_VERSION=$node_version" --cmd node "$ctr"
buildah commit --quiet --rm "$ctr" "$name" >/dev/null
ctr=
echo "$name: Debian bookworm (minbase) + node $node_version"

#!/usr/bin/env bash
# Builds upstream Kubernetes commands, or etcd, from their Go modules (through the Go module proxy; no
# upstream source is kept in this repository) into joinery's binary cache:
#   build.sh vX.Y.Z       kube-apiserver kube-controller-manager kubeadm kubelet -> $CACHE/kubernetes/vX.Y.Z/
#   build.sh etcd-vX.Y.Z  etcd                                                    -> $CACHE/etcd/vX.Y.Z/
#   build.sh cri-tools-vX.Y.Z  crictl (kubeadm < 1.31 needs it on a node)         -> $CACHE/cri-tools/vX.Y.Z/
# $CACHE is $JOINERY_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/joinery (what src/testbed/binaries.ts reads).
# Each build uses the module of testbed/k8s/<name>/ (go.mod + go.sum, ours); when it is missing it is
# generated here: k8s.io/kubernetes at the release, every staging module k8s.io/* replaced by the matching
# v0.Y.Z (Kubernetes' own go.mod points them at ./staging, which only works inside its repository).
# Binaries are static (CGO_ENABLED=0), -trimpath, and carry the version as upstream's hack/lib/version.sh
# stamps it (kubeadm reads its own version). A complete cache directory is not rebuilt.
set -euo pipefail
name=${1:?usage: $0 vX.Y.Z | etcd-vX.Y.Z | cri-tools-vX.Y.Z [--resolve-only]}
resolve_only=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
cache=${JOINERY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/joinery}
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false
export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || { echo "build.sh: Go is not installed (needs Go >= 1.24)" >&2; exit 3; }

case "$name" in
  etcd-v*)
    version=${name#etcd-}; out=$cache/etcd/$version; cmds=(etcd)
    [ -x "$out/etcd" ] && { echo "$out (cached)"; exit 0; }
    mod=$here/etcd-$version
    if [ ! -f "$mod/go.mod" ]; then
      mkdir -p "$mod"
      printf 'module joinery.local/testbed/etcd\n\ngo 1.24\n\ntool go.etcd.io/etcd/server/v3\n\nrequire go.etcd.io/etcd/server/v3 %s\n' "$version" > "$mod/go.mod"
    fi
    pkgs=(go.etcd.io/etcd/server/v3)
    ldflags="-s -w"
    ;;
  cri-tools-v*)
    version=${name#cri-tools-}; out=$cache/cri-tools/$version; cmds=(crictl)
    [ -x "$out/crictl" ] && { echo "$out (cached)"; exit 0; }
    mod=$here/cri-tools-$version
    if [ ! -f "$mod/go.mod" ]; then
      mkdir -p "$mod"
      printf 'module joinery.local/testbed/cri-tools\n\ngo 1.24\n\ntool sigs.k8s.io/cri-tools/cmd/crictl\n\nrequire sigs.k8s.io/cri-tools %s\n' "$version" > "$mod/go.mod"
    fi
    pkgs=(sigs.k8s.io/cri-tools/cmd/crictl)
    ldflags="-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=$version"
    ;;
  v1.*)
    version=$name; out=$cache/kubernetes/$version; cmds=(kube-apiserver kube-controller-manager kubeadm kubelet)
    all=1; for c in "${cmds[@]}"; do [ -x "$out/$c" ] || all=0; done
    [ $all = 1 ] && { echo "$out (cached)"; exit 0; }
    mod=$here/kubernetes-$version
    minor=$(echo "$version" | cut -d. -f2); patch=$(echo "$version" | cut -d. -f3)
    # The release's go.mod and time, from the module cache (downloaded through the proxy when missing).
    info=$(cd "$(mktemp -d)" && go mod download -json "k8s.io/kubernetes@$version")
    field() { echo "$info" | sed -n "s/^[[:space:]]*\"$1\": \"\([^\"]*\)\".*/\1/p" | head -1; }
    if [ ! -f "$mod/go.mod" ]; then
      upstream=$(cat "$(field GoMod)")
      gover=$(echo "$upstream" | awk '$1=="go"{print $2; exit}')
      mkdir -p "$mod"
      {
        printf 'module joinery.local/testbed/kubernetes\n\ngo 1.24\n\n'
        # Kubernetes' own GODEBUG defaults, as when it is built in its repository.
        printf 'godebug default=go%s\n\n' "$(echo "$gover" | cut -d. -f1,2)"
        printf 'tool (\n'; for c in "${cmds[@]}"; do printf '\tk8s.io/kubernetes/cmd/%s\n' "$c"; done; printf ')\n\n'
        printf 'require k8s.io/kubernetes %s\n\nreplace (\n' "$version"
        echo "$upstream" | awk '$2=="=>" && $3 ~ /^\.\/staging\// {print $1}' | while read -r m; do
          printf '\t%s => %s v0.%s.%s\n' "$m" "$m" "$minor" "$patch"
        done
        printf ')\n'
      } > "$mod/go.mod"
    fi
    pkgs=(); for c in "${cmds[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
    # hack/lib/version.sh: the same keys into client-go's and component-base's version packages.
    date=$(sed -n 's/.*"Time": *"\([^"]*\)".*/\1/p' "$(field Info)")
    ldflags="-s -w"
    for p in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
      ldflags+=" -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitVersion=$version -X $p.gitCommit=module-$version"
      ldflags+=" -X $p.gitTreeState=clean -X $p.buildDate=${date:-1970-01-01T00:00:00Z}"
    done
    ;;
  *) echo "build.sh: unknown target $name (vX.Y.Z, etcd-vX.Y.Z or cri-tools-vX.Y.Z)" >&2; exit 2 ;;
esac

start=$(date +%s)
cd "$mod"
if [ ! -f go.sum ]; then
  echo "resolving $mod/go.mod"
  go mod tidy
fi
[ "$resolve_only" = --resolve-only ] && { echo "$mod resolved"; exit 0; }
tmp=$out.tmp-$$; rm -rf "$tmp"; mkdir -p "$tmp"
echo "building ${cmds[*]} $version into $out ($(nproc) cores)"
go build -trimpath -ldflags "$ldflags" -o "$tmp/" "${pkgs[@]}"
if [ "$name" != "${name#etcd-}" ]; then mv "$tmp/v3" "$tmp/etcd" 2>/dev/null || mv "$tmp/server" "$tmp/etcd" 2>/dev/null || true; fi
for c in "${cmds[@]}"; do [ -x "$tmp/$c" ] || { echo "build.sh: $c was not built (in $tmp: $(ls "$tmp"))" >&2; exit 1; }; done
rm -rf "$out"; mv "$tmp" "$out"
echo "built $name in $(( $(date +%s) - start ))s: $out"

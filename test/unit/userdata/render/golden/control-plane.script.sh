#!/bin/sh
# joinery bootstrap script: makes this machine a Kubernetes node with kubeadm
# role control-plane
set -eu
umask 077
if [ -e /etc/kubernetes/kubelet.conf ]; then
  echo 'joinery: /etc/kubernetes/kubelet.conf exists, this machine has already joined; nothing to do'
  exit 0
fi

# bootCommands
umask 022
mkdir -p /var/lib/kubelet
umask 077

# users
getent group adm >/dev/null || groupadd adm
getent group systemd-journal >/dev/null || groupadd systemd-journal
if ! id capi >/dev/null 2>&1; then
  useradd -m -c 'Cluster API admin' -s /bin/bash capi
fi
usermod -a -G adm,systemd-journal capi
usermod -L capi
joinery_home=$(getent passwd capi | cut -d: -f6)
(umask 077 && mkdir -p "$joinery_home/.ssh")
cat >>"$joinery_home/.ssh/authorized_keys" <<'JOINERY_EOF'
ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB6v1fJ0nZ3oXYdGQ6Ir0q3gWsmv9H8m1F3Jm0c8c1Yk admin@example.com
JOINERY_EOF
chmod 0700 "$joinery_home/.ssh"
chmod 0600 "$joinery_home/.ssh/authorized_keys"
chown -R capi:"$(id -gn capi)" "$joinery_home/.ssh"

# files
joinery_temp() {
  joinery_d=$(dirname "$1")
  (umask 022 && mkdir -p "$joinery_d")
  mktemp "$joinery_d/.joinery.XXXXXX"
}
joinery_commit() {
  chmod "$3" "$1"
  if [ -n "${4:-}" ]; then chown "$4" "$1"; fi
  mv -f "$1" "$2"
}
joinery_tmp=$(joinery_temp /etc/sysctl.d/99-kubernetes.conf)
cat >>"$joinery_tmp" <<'JOINERY_EOF'
net.bridge.bridge-nf-call-iptables = 1
net.ipv4.ip_forward = 1
JOINERY_EOF
joinery_commit "$joinery_tmp" /etc/sysctl.d/99-kubernetes.conf 0644 root:root
joinery_tmp=$(joinery_temp /etc/hosts)
if [ -f /etc/hosts ]; then cat /etc/hosts >"$joinery_tmp"; fi
cat >>"$joinery_tmp" <<'JOINERY_EOF'
10.0.0.10 api.cluster.example.internal
JOINERY_EOF
joinery_commit "$joinery_tmp" /etc/hosts 0644
joinery_tmp=$(joinery_temp /opt/capi/README)
cat >>"$joinery_tmp" <<'JOINERY_EOF'
Managed by Cluster API: don't edit; `kubectl` lives in /usr/local/bin.
JOINERY_EOF
joinery_commit "$joinery_tmp" /opt/capi/README 0640 capi:capi
joinery_tmp=$(joinery_temp /run/kubeadm/kubeadm-join-config.yaml)
cat >>"$joinery_tmp" <<'JOINERY_EOF'
apiVersion: kubeadm.k8s.io/v1beta3
caCertPath: /etc/kubernetes/pki/ca.crt
controlPlane:
  certificateKey: c7b7b1ef4b5f0cde1cf54bb4f0a22edc2a64fc5fd8bdbc2b2e1f9b2be18f3d40
  localAPIEndpoint:
    advertiseAddress: 10.0.0.12
    bindPort: 6443
discovery:
  bootstrapToken:
    apiServerEndpoint: api.cluster.example.internal:6443
    caCertHashes:
    - sha256:7f1b1f5b0e6c1f5e0f5b1a9e3d2c4b5a69788796a5b4c3d2e1f0a9b8c7d6e5f4
    token: abcdef.0123456789abcdef
  timeout: 5m0s
kind: JoinConfiguration
nodeRegistration:
  criSocket: unix:///var/run/containerd/containerd.sock
  imagePullPolicy: IfNotPresent
  kubeletExtraArgs:
    cloud-provider: external
  name: cp-1
  taints: null
JOINERY_EOF
joinery_commit "$joinery_tmp" /run/kubeadm/kubeadm-join-config.yaml 0600 root:root
joinery_tmp=$(joinery_temp /etc/sudoers.d/90-joinery-capi)
cat >>"$joinery_tmp" <<'JOINERY_EOF'
capi ALL=(ALL) NOPASSWD:ALL
JOINERY_EOF
joinery_commit "$joinery_tmp" /etc/sudoers.d/90-joinery-capi 0440
joinery_tmp=$(joinery_temp /etc/systemd/timesyncd.conf.d/joinery-ntp.conf)
cat >>"$joinery_tmp" <<'JOINERY_EOF'
[Time]
NTP=0.pool.ntp.org time.example.com
JOINERY_EOF
joinery_commit "$joinery_tmp" /etc/systemd/timesyncd.conf.d/joinery-ntp.conf 0644
joinery_tmp=$(joinery_temp /etc/chrony/sources.d/joinery-ntp.sources)
cat >>"$joinery_tmp" <<'JOINERY_EOF'
server 0.pool.ntp.org iburst
server time.example.com iburst
JOINERY_EOF
joinery_commit "$joinery_tmp" /etc/chrony/sources.d/joinery-ntp.sources 0644
if command -v systemctl >/dev/null 2>&1; then
  systemctl try-restart systemd-timesyncd.service chrony.service chronyd.service || true
fi

umask 022

# Kubernetes binaries, checked against their sha256
joinery_download() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --retry 5 -o "$1" "$2"
  else
    wget -q -O "$1" "$2"
  fi
}
joinery_install() {
  joinery_dir=$(dirname "$3")
  mkdir -p "$joinery_dir" || exit 1
  joinery_tmp=$(mktemp "$joinery_dir/.joinery.XXXXXX") || exit 1
  if ! joinery_download "$joinery_tmp" "$1"; then
    rm -f "$joinery_tmp"
    echo "joinery: could not download $1 for $3" >&2
    exit 1
  fi
  if ! printf '%s  %s\n' "$2" "$joinery_tmp" | sha256sum -c - >/dev/null; then
    rm -f "$joinery_tmp"
    echo "joinery: $1 does not have sha256 $2; refusing to install $3" >&2
    exit 1
  fi
  chmod 0755 "$joinery_tmp" || exit 1
  mv -f "$joinery_tmp" "$3" || exit 1
}
joinery_install https://dl.k8s.io/release/v1.30.2/bin/linux/amd64/kubeadm c09f7cc614bc0d460d736d89348672ead3cea0459eccfc2e9a17bb774f671897 /usr/local/bin/kubeadm
joinery_install https://dl.k8s.io/release/v1.30.2/bin/linux/amd64/kubelet 403bd3651b7292b31e52f0ba8c21b8e8c39270f46607b6c1d795d3224651ba06 /usr/local/bin/kubelet
joinery_install https://dl.k8s.io/release/v1.30.2/bin/linux/amd64/kubectl 214e3c16da651f1647a408dfdbf88f4ebbbaa8f8559c4f1837aceea0b8635607 /usr/local/bin/kubectl

# preKubeadmCommands
swapoff -a
modprobe br_netfilter

# kubeadm, then the Cluster API bootstrap sentinel
kubeadm join --config /run/kubeadm/kubeadm-join-config.yaml --v=5
mkdir -p /run/cluster-api
echo success > /run/cluster-api/bootstrap-success.complete

# postKubeadmCommands
echo "joined $(hostname)" >> /var/log/joinery.log

/**
 * The scripts of a testbed node: the supervisor that holds the node's mount namespace and plays systemd's
 * part for kubelet.service, and the `systemctl` the node's scripts (and kubeadm) call to reach it.
 *
 * The supervisor runs under `unshare -m` (private propagation): it mounts tmpfs over the node's directories,
 * then loops every 0.2 s. Like an enabled kubelet.service with Restart=always, it (re)starts the kubelet once
 * kubeadm has written /var/lib/kubelet/config.yaml and a kubeconfig, with the unit's flags: kubeadm's
 * KUBELET_KUBEADM_ARGS from /var/lib/kubelet/kubeadm-flags.env plus the node's own (the part a drop-in gives on a
 * real machine). `systemctl stop|start|restart kubelet` writes a request into `ctl/`, which the loop serves;
 * the file `ctl/shutdown` ends it, and the kubelet with it.
 */

/** The directories a node gets fresh (tmpfs) in its namespace. */
export const NODE_TMPFS_DIRS = ['/etc/kubernetes', '/var/lib/kubelet', '/run/kubeadm', '/run/cluster-api'] as const;

export interface SupervisorOptions {
  /** The node's directory on the host (ctl/, status, logs). */
  nodeDir: string;
  kubelet: string;
  /** The node's own kubelet flags (runtime, ports, cgroups). */
  kubeletFlags: string[];
  /** More directories to hide behind a tmpfs (the testbed's certificatesDir, which a control-plane join writes to). */
  privateDirs?: string[];
  /** The node's hostname, resolvable in the node as on a real machine (/etc/hosts: 127.0.1.1, Debian's way). */
  hostname: string;
}

function quote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

export function supervisorScript(o: SupervisorOptions): string {
  return `#!/bin/sh
# joinery testbed node supervisor (see src/testbed/node/supervisor.ts)
set -u
NODE=${quote(o.nodeDir)}
for d in ${[...NODE_TMPFS_DIRS, ...(o.privateDirs ?? [])].map(quote).join(' ')}; do
  if ! { mkdir -p "$d" && mount -t tmpfs -o mode=0755 tmpfs "$d"; }; then echo "cannot mount tmpfs on $d" >&2; exit 1; fi
done
# The node's own /etc/hosts: the host's, plus its name (kubeadm's Hostname check resolves it; without it, DNS times out).
{ cat /etc/hosts; echo "127.0.1.1 ${o.hostname}"; } > "$NODE/hosts"
if ! mount --bind "$NODE/hosts" /etc/hosts; then echo "cannot mount the node's /etc/hosts" >&2; exit 1; fi
kubelet_pid=
wanted=1
starts=0
last_start=0
stop_kubelet() {
  if [ -n "$kubelet_pid" ]; then
    kill "$kubelet_pid" 2>/dev/null
    i=0
    while running && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
    kill -9 "$kubelet_pid" 2>/dev/null
    wait "$kubelet_pid" 2>/dev/null
    echo "$(date +%s) kubelet stopped" >> "$NODE/supervisor.log"
    kubelet_pid=
  fi
}
# (a kubelet that exited stays a zombie until waited for: kill -0 would still see it)
running() { [ -n "$kubelet_pid" ] && [ -e "/proc/$kubelet_pid" ] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$kubelet_pid/stat" 2>/dev/null; }
configured() {
  [ -f /var/lib/kubelet/config.yaml ] && { [ -f /etc/kubernetes/bootstrap-kubelet.conf ] || [ -f /etc/kubernetes/kubelet.conf ]; }
}
start_kubelet() {
  KUBELET_KUBEADM_ARGS=
  # shellcheck disable=SC1091
  if [ -f /var/lib/kubelet/kubeadm-flags.env ]; then . /var/lib/kubelet/kubeadm-flags.env; fi
  starts=$((starts+1))
  last_start=$(date +%s)
  echo "$last_start kubelet start #$starts" >> "$NODE/supervisor.log"
  # shellcheck disable=SC2086
  ${quote(o.kubelet)} --bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf \\
    --config=/var/lib/kubelet/config.yaml $KUBELET_KUBEADM_ARGS ${o.kubeletFlags.map(quote).join(' ')} >> "$NODE/kubelet.log" 2>&1 &
  kubelet_pid=$!
}
echo ready > "$NODE/status"
while [ ! -e "$NODE/ctl/shutdown" ]; do
  : > "$NODE/served"
  for req in "$NODE"/ctl/req.*; do
    [ -e "$req" ] || continue
    # An explicit start or restart is not held back by RestartSec.
    case "$(cat "$req")" in
      stop) wanted=0; stop_kubelet ;;
      start) wanted=1; last_start=0 ;;
      restart) wanted=1; stop_kubelet; last_start=0 ;;
    esac
    printf '%s\n' "$req" >> "$NODE/served"
  done
  if [ "$wanted" = 1 ] && ! running && configured; then
    if [ -n "$kubelet_pid" ]; then
      wait "$kubelet_pid" 2>/dev/null
      echo "$(date +%s) kubelet exited with $?" >> "$NODE/supervisor.log"
      kubelet_pid=
    fi
    # Restart=always with a 1 s RestartSec
    if [ $(( $(date +%s) - last_start )) -ge 1 ]; then start_kubelet; fi
  fi
  if running; then state=active; else state=inactive; fi
  echo "$state $starts" > "$NODE/status.tmp" && mv "$NODE/status.tmp" "$NODE/status"
  # Answered only now, as systemctl returns once the job is done: the status above already shows its result.
  while IFS= read -r req; do rm -f "$req"; done < "$NODE/served"
  sleep 0.2
done
stop_kubelet
echo "stopped $starts" > "$NODE/status"
`;
}

/** `systemctl` for the node: kubelet.service is served by the supervisor; other units are accepted and left alone. */
export function systemctlScript(nodeDir: string): string {
  return `#!/bin/sh
# systemctl of a joinery testbed node (see src/testbed/node/supervisor.ts)
NODE=${quote(nodeDir)}
verb=
unit=
for a in "$@"; do
  case "$a" in
    -*) ;;
    *) if [ -z "$verb" ]; then verb=$a; elif [ -z "$unit" ]; then unit=\${a%.service}; fi ;;
  esac
done
state() { cut -d' ' -f1 "$NODE/status" 2>/dev/null; }
request() {
  f="$NODE/ctl/req.$(date +%s%N).$$"
  echo "$1" > "$f.tmp" && mv "$f.tmp" "$f"
  i=0
  while [ -e "$f" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
  [ ! -e "$f" ] || { echo "systemctl: the node's supervisor did not answer" >&2; exit 1; }
}
case "$verb" in
  daemon-reload|enable|disable|mask|unmask|reset-failed) exit 0 ;;
esac
if [ "$unit" != kubelet ]; then
  case "$verb" in
    status) echo "Unit $unit.service could not be found."; exit 4 ;;
    is-active) echo inactive; exit 3 ;;
    is-enabled) echo disabled; exit 1 ;;
    *) echo "testbed node: systemctl $verb $unit: not a unit of this node, nothing done" >&2; exit 0 ;;
  esac
fi
case "$verb" in
  start|stop|restart) request "$verb" ;;
  try-restart|reload-or-restart) request restart ;;
  is-enabled) echo enabled ;;
  is-active) s=$(state); if [ "$s" = active ]; then echo active; else echo inactive; exit 3; fi ;;
  status)
    s=$(state)
    echo "* kubelet.service - kubelet: The Kubernetes Node Agent"
    echo "   Loaded: loaded (/lib/systemd/system/kubelet.service; enabled)"
    if [ "$s" = active ]; then echo "   Active: active (running)"; else echo "   Active: inactive (dead)"; exit 3; fi ;;
  *) echo "testbed node: systemctl $verb is not supported" >&2; exit 1 ;;
esac
`;
}

/**
 * Specs in the shapes of Cluster API's own templates, shared by the parser tests and the parser fuzz: the
 * Azure worker template (contentFrom, jinja-free here) and the Docker quick-start KubeadmControlPlane.
 */
export const AZURE_WORKER_TEMPLATE = `
apiVersion: bootstrap.cluster.x-k8s.io/v1beta1
kind: KubeadmConfigTemplate
metadata:
  name: my-cluster-md-0
  namespace: default
spec:
  template:
    spec:
      joinConfiguration:
        nodeRegistration:
          kubeletExtraArgs:
            cloud-provider: azure
            cloud-config: /etc/kubernetes/azure.json
            azure-container-registry-config: /etc/kubernetes/azure.json
      files:
        - contentFrom:
            secret:
              name: my-cluster-md-0-azure-json
              key: worker-node-azure.json
          owner: root:root
          path: /etc/kubernetes/azure.json
          permissions: "0644"
      preKubeadmCommands: []
      postKubeadmCommands: []
      users:
      - name: capi
        groups: Administrators
        sshAuthorizedKeys:
        - ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ capi@example
`;

export const DOCKER_CONTROL_PLANE = `
apiVersion: controlplane.cluster.x-k8s.io/v1beta1
kind: KubeadmControlPlane
metadata:
  name: capi-quickstart-control-plane
spec:
  replicas: 3
  version: v1.30.0
  kubeadmConfigSpec:
    clusterConfiguration:
      apiServer:
        certSANs: [localhost, 127.0.0.1, 0.0.0.0, host.docker.internal]
      controllerManager:
        extraArgs:
          enable-hostpath-provisioner: 'true'
    initConfiguration:
      nodeRegistration:
        criSocket: unix:///var/run/containerd/containerd.sock
        kubeletExtraArgs:
          eviction-hard: 'nodefs.available<0%,nodefs.inodesFree<0%,imagefs.available<0%'
    joinConfiguration:
      nodeRegistration:
        criSocket: unix:///var/run/containerd/containerd.sock
        kubeletExtraArgs:
          eviction-hard: 'nodefs.available<0%,nodefs.inodesFree<0%,imagefs.available<0%'
`;

/**
 * PKI of kubeadm's join protocol, free of I/O: CA pins, CA bundles, the certificate key and the
 * kubeadm-certs Secret. Cluster CA generation and loading live in ./ca.js, imported from there on
 * purpose: it loads @peculiar/x509 (about 0.1 s of start-up), which only the bootstrap-data paths need.
 */
export { bundleCertificates, subjectPublicKeyInfo } from './certificates.js';
export type { BundleCertificate, CertificateInput } from './certificates.js';
export { caPin, caPinRequired, caPins, checkCaPins, parseCaPins, pinSetAllows } from './pin.js';
export type { CaPinSet } from './pin.js';
export {
  decryptWithCertificateKey,
  encryptWithCertificateKey,
  generateCertificateKey,
  parseCertificateKey,
} from './certificate-key.js';
export {
  KUBEADM_CERTS_ROLE,
  KUBEADM_CERTS_SECRET,
  KUBEADM_CERTS_TOKEN_DESCRIPTION,
  KUBEADM_CERTS_TOKEN_TTL,
  clusterCasOfKubeadmCerts,
  decodeKubeadmCertsSecret,
  kubeadmCertsOwnerToken,
  kubeadmCertsRbac,
  kubeadmCertsSecret,
  kubeadmCertsSecretKeys,
} from './kubeadm-certs.js';
export type {
  ExternalEtcdCerts,
  KubeadmCerts,
  KubeadmCertsOwner,
  KubeadmCertsOwnerToken,
  KubeadmCertsSecret,
  SecretControllerReference,
} from './kubeadm-certs.js';
export type { ClusterCas, CertificateAuthority, ServiceAccountKeyPair } from './ca.js';

/** PKI primitives of kubeadm's join protocol, free of I/O: CA pins, CA bundles and the certificate key. */
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

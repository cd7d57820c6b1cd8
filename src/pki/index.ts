/** PKI primitives of kubeadm's join protocol, free of I/O: CA pins, CA bundles and the certificate key. */
export { bundleCertificates, subjectPublicKeyInfo } from './certificates.js';
export type { BundleCertificate, CertificateInput } from './certificates.js';
export { CA_PIN_FORMATS, caPin, caPinRequired, caPins, checkCaPins, parseCaPins, pinSetAllows } from './pin.js';
export type { CaPinSet } from './pin.js';
export {
  CERTIFICATE_KEY_SIZE,
  decryptWithCertificateKey,
  encryptWithCertificateKey,
  generateCertificateKey,
  parseCertificateKey,
} from './certificate-key.js';
export type { RandomBytes } from './certificate-key.js';

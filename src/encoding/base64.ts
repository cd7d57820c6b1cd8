const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * True when `text` is base64 as Go's base64.StdEncoding writes it: the standard alphabet, padded to a
 * multiple of four, no whitespace or line breaks (a caller whose format allows them, such as a PEM body,
 * strips them first). The empty string passes. This is the form of a Secret's `data` values as the API
 * server returns them and of a kubeconfig's `certificate-authority-data`.
 */
export function isStdBase64(text: string): boolean {
  return STD_BASE64.test(text);
}

/**
 * The detached JWS that signs the cluster-info kubeconfig for one bootstrap token, exactly as
 * k8s.io/cluster-bootstrap/token/jws does: go-jose HS256 with the token secret as key and the protected
 * header {"alg":"HS256","kid":"<token-id>"}, compact serialisation with the payload removed
 * (`header..signature`, base64url without padding). The bootstrapsigner controller writes it into
 * cluster-info as `jws-kubeconfig-<token-id>`; kubeadm's token discovery checks it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The cluster-info key that holds the signature for a token id (bootstrapapi.JWSSignatureKeyPrefix + id). */
export function jwsKeyOfTokenId(tokenId: string): string {
  return `jws-kubeconfig-${tokenId}`;
}

/** A JSON string as Go's encoding/json writes it (HTML-safe: <, >, & and U+2028/2029 escaped). */
function goJsonString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * `header..signature` for `content` signed with the token (cluster-bootstrap jws.ComputeDetachedSignature).
 * The key is the secret's UTF-8 bytes; kubeadm's zero-padding of short secrets to 32 bytes leaves
 * HMAC-SHA256 unchanged, since HMAC pads keys with zeros to its 64-byte block anyway.
 */
export function detachedJws(content: string, tokenId: string, tokenSecret: string): string {
  const header = Buffer.from(`{"alg":"HS256","kid":${goJsonString(tokenId)}}`, 'utf8').toString('base64url');
  const payload = Buffer.from(content, 'utf8').toString('base64url');
  const signature = createHmac('sha256', Buffer.from(tokenSecret, 'utf8')).update(`${header}.${payload}`).digest('base64url');
  return `${header}..${signature}`;
}

/**
 * Whether `jws` is the detached signature of `content` for the token (jws.DetachedTokenIsValid),
 * compared in constant time; a value of another length is simply false.
 */
export function verifyDetachedJws(jws: string, content: string, tokenId: string, tokenSecret: string): boolean {
  if (typeof jws !== 'string') return false;
  const want = Buffer.from(detachedJws(content, tokenId, tokenSecret), 'utf8');
  const got = Buffer.from(jws, 'utf8');
  return got.length === want.length && timingSafeEqual(got, want);
}

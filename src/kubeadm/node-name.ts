import { JoineryError } from '../errors/index.js';

/** A DNS-1123 label (namespace names; at most 63 characters besides). */
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** A DNS-1123 subdomain (node names, most object names; at most 253 characters besides). */
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Checks a node name as Kubernetes checks a Node's metadata.name (a DNS-1123 subdomain: at most 253
 * lowercase letters, digits, '-' and '.', starting and ending with a letter or digit). Returns it.
 */
export function validateNodeName(name: unknown, path = 'nodeName'): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    throw new JoineryError(
      'NODE_NAME_INVALID',
      `${path}: ${typeof name === 'string' ? JSON.stringify(name.slice(0, 80)) : 'the value'} is not a valid node name (a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', at most 253 characters, starting and ending with a letter or digit)`,
      'use a name such as worker-1 or node-a.example.com',
      { path },
    );
  }
  return name;
}

/**
 * How Go sees the bytes of a string, where kubeadm's output or checks depend on it: the order of UTF-8
 * encodings (how Go sorts map keys and string slices) and base64.StdEncoding's strictness. No I/O.
 *
 * A leaf module, like src/errors, src/duration, src/gotime and src/goyaml: it imports nothing of ours, so
 * every layer may import it.
 */
export { isStdBase64 } from './base64.js';
export { goStringCompare } from './utf8.js';

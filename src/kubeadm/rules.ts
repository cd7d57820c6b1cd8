/**
 * Value rules kubeadm applies to config fields (cmd/kubeadm/app/apis/kubeadm/validation), checked on the
 * versioned documents. Each rule returns a problem text or undefined; it never puts a secret value
 * (token secret, certificate key) into that text.
 */

const TOKEN_FORM = /^[a-z0-9]{6}\.[a-z0-9]{16}$/;

/** Problem with a bootstrap token (bootstraputil.IsValidBootstrapToken: `[a-z0-9]{6}.[a-z0-9]{16}`). */
export function bootstrapTokenProblem(token: string): string | undefined {
  if (TOKEN_FORM.test(token)) return undefined;
  return token === ''
    ? 'the token is empty'
    : 'it is not a bootstrap token of the form [a-z0-9]{6}.[a-z0-9]{16}';
}

/** Text with anything shaped like a token secret or a certificate key replaced, for error messages. */
export function scrubSecrets(text: string): string {
  return text
    .replace(/\b([a-z0-9]{6})\.[a-z0-9]{16}\b/g, '$1.<redacted>')
    .replace(/\b[0-9a-fA-F]{32,}\b/g, '<redacted>');
}

/** `abcdef.<redacted>` when the id part looks like a token id, else `<redacted>`. */
export function redactedToken(token: string): string {
  const id = token.split('.')[0] ?? '';
  return /^[a-z0-9]{6}$/.test(id) ? `${id}.<redacted>` : '<redacted>';
}

/**
 * Problem with a CA public key pin (kubeadm's pubkeypin.Set.Allow): `<format>:<hex>` where the format is
 * `sha256` (any case) and the hex decodes to 32 bytes.
 */
export function caPinProblem(pin: string): string | undefined {
  const colon = pin.indexOf(':');
  if (colon < 0) return 'it has no "sha256:" prefix (expected sha256:<64 hex digits>)';
  const format = pin.slice(0, colon).toLowerCase();
  if (format !== 'sha256') return `the hash format ${JSON.stringify(pin.slice(0, Math.min(colon, 16)))} is not supported (only sha256)`;
  const hex = pin.slice(colon + 1);
  if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length % 2 !== 0) return 'the part after "sha256:" is not hexadecimal';
  if (hex.length !== 64) return `the hash is ${hex.length / 2} bytes long, a SHA-256 hash is 32`;
  return undefined;
}

/** Problem with a certificate key (32 bytes, hex-encoded: an AES-256 key). */
export function certificateKeyProblem(key: string): string | undefined {
  return /^[0-9a-fA-F]{64}$/.test(key) ? undefined : 'it is not 64 hexadecimal digits (a 32-byte AES key)';
}

/** Problem with a TCP port (1–65535). */
export function portProblem(port: number): string | undefined {
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? undefined : `${port} is not a TCP port (1–65535)`;
}

/** Problem with `host:port` (net.SplitHostPort as kubeadm's ValidateDiscoveryTokenAPIServer uses, plus a real port). */
export function hostPortProblem(text: string): string | undefined {
  const m = /^(?:\[([^\[\]]+)\]|([^:\[\]]+)):([0-9]+)$/.exec(text);
  if (!m) {
    return `${JSON.stringify(text.slice(0, 128))} is not host:port (write an IPv6 address in brackets: [fd00::1]:6443)`;
  }
  return portProblem(Number(m[3]));
}

const BOOTSTRAP_GROUP = /^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/;
/** Problem with an extra group of a bootstrap token (bootstrapapi.BootstrapGroupPattern). */
export function bootstrapGroupProblem(group: string): string | undefined {
  return BOOTSTRAP_GROUP.test(group)
    ? undefined
    : `bootstrap group ${JSON.stringify(group.slice(0, 300))} must match system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]`;
}

/** The usages a bootstrap token can have (bootstrapapi.KnownTokenUsages). */
export const TOKEN_USAGES = ['signing', 'authentication'] as const;

/** Problem with an RFC 3339 time (metav1.Time's JSON form, Go's time.RFC3339 layout). */
export function rfc3339Problem(text: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (!m || Number.isNaN(Date.parse(text))) {
    return `${JSON.stringify(text.slice(0, 64))} is not an RFC 3339 time such as 2024-05-01T12:00:00Z`;
  }
  const [month, day, hour, minute, second] = [m[2], m[3], m[4], m[5], m[6]].map(Number) as number[];
  const daysInMonth = new Date(Date.UTC(Number(m[1]), month as number, 0)).getUTCDate();
  if ((month as number) < 1 || (month as number) > 12 || (day as number) < 1 || (day as number) > daysInMonth) {
    return `${JSON.stringify(text)} has no such date`;
  }
  if ((hour as number) > 23 || (minute as number) > 59 || (second as number) > 59) return `${JSON.stringify(text)} has no such time`;
  return undefined;
}

/** Levenshtein distance, for "did you mean" hints. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] as number;
      prev[j] = Math.min(up + 1, (prev[j - 1] as number) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length] as number;
}

/** The candidate closest to `name` when it is close enough to be a likely typo. */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = c.toLowerCase() === name.toLowerCase() ? 0 : editDistance(name, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 4)) ? best : undefined;
}

/**
 * Value rules kubeadm applies to config fields (cmd/kubeadm/app/apis/kubeadm/validation) that belong to no
 * other module, checked on the versioned documents, and the name matching behind "did you mean" hints.
 * Token, group, usage, CA pin, certificate key and time rules come from src/token and src/pki
 * (`ruleProblem` turns their errors into problem texts). Each rule returns a problem text or undefined;
 * it never puts a secret value (token secret, certificate key) into that text.
 */
import { JoineryError } from '../errors/index.js';

/**
 * The problem text of a rule of another module (src/token, src/pki): undefined when `rule` returns,
 * else the message of the JoineryError it throws without its leading `path: `, so that kubeadm can
 * report it at the field's own path.
 */
export function ruleProblem(rule: () => unknown): string | undefined {
  try {
    rule();
    return undefined;
  } catch (err) {
    if (!(err instanceof JoineryError)) throw err;
    const prefix = err.path === undefined ? '' : `${err.path}: `;
    return err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
  }
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

/** Levenshtein distance, for "did you mean" hints. */
function editDistance(a: string, b: string): number {
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
  if (name.length > 64) return undefined; // no field name is that long, and the distance is quadratic
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

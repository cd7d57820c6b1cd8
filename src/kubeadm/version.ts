/**
 * Which kubeadm config API version (kubeadm.k8s.io/v1beta2, v1beta3, v1beta4) a Kubernetes release reads.
 */
import { JoineryError } from '../errors/index.js';

export const KUBEADM_GROUP = 'kubeadm.k8s.io';

export const CONFIG_API_VERSIONS = ['v1beta2', 'v1beta3', 'v1beta4'] as const;
/** A kubeadm config API version this module reads and writes. */
export type ConfigApiVersion = (typeof CONFIG_API_VERSIONS)[number];

/** `kubeadm.k8s.io/<version>`, the apiVersion field of the documents. */
export function kubeadmApiVersion(version: ConfigApiVersion): string {
  return `${KUBEADM_GROUP}/${version}`;
}

/** The Kubernetes minor versions whose kubeadm reads each API version (v1beta2 was removed in 1.26). */
const KUBERNETES_RANGE: Readonly<Record<ConfigApiVersion, { since: number; until?: number }>> = {
  v1beta2: { since: 15, until: 25 },
  v1beta3: { since: 22 },
  v1beta4: { since: 31 },
};

/** "Kubernetes >= 1.22" or "Kubernetes 1.15–1.25", for messages. */
export function kubernetesRangeText(version: ConfigApiVersion): string {
  const r = KUBERNETES_RANGE[version];
  return r.until === undefined ? `Kubernetes >= 1.${r.since}` : `Kubernetes 1.${r.since}–1.${r.until}`;
}

/** Index of a version in release order, for "at least" comparisons. */
export function versionRank(version: ConfigApiVersion): number {
  return CONFIG_API_VERSIONS.indexOf(version);
}

export interface KubernetesVersion {
  major: number;
  minor: number;
  patch: number;
  preRelease?: string;
}

const VERSION_FORM = /^v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$/;

/** Parses a Kubernetes release version such as `v1.30.4`, `1.31.0` or `v1.32.0-rc.1`. */
export function parseKubernetesVersion(text: string, path = 'kubernetesVersion'): KubernetesVersion {
  const m = VERSION_FORM.exec(text.trim());
  if (!m) {
    throw new JoineryError(
      'KUBERNETES_VERSION_INVALID',
      `${path}: ${JSON.stringify(text.slice(0, 64))} is not a Kubernetes version`,
      'write a release version such as v1.31.0 (v is optional; a pre-release such as v1.32.0-rc.1 is accepted)',
      { path },
    );
  }
  const v: KubernetesVersion = { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
  if (m[4] !== undefined) v.preRelease = m[4];
  return v;
}

/**
 * The config API version `text` names, `v1beta3` or `kubeadm.k8s.io/v1beta3`; undefined for any other
 * text. The one parser of an apiVersion (the config file reader adds its hint for retired versions).
 */
export function configApiVersionOf(text: string): ConfigApiVersion | undefined {
  const short = text.startsWith(`${KUBEADM_GROUP}/`) ? text.slice(KUBEADM_GROUP.length + 1) : text;
  return (CONFIG_API_VERSIONS as readonly string[]).includes(short) ? (short as ConfigApiVersion) : undefined;
}

/** configApiVersionOf, or KUBEADM_API_UNSUPPORTED naming the versions joinery writes. */
export function asConfigApiVersion(text: string): ConfigApiVersion {
  const version = configApiVersionOf(text);
  if (version !== undefined) return version;
  throw new JoineryError(
    'KUBEADM_API_UNSUPPORTED',
    `${JSON.stringify(text)} is not a kubeadm config API version joinery writes`,
    `choose one of ${CONFIG_API_VERSIONS.map((v) => kubeadmApiVersion(v)).join(', ')}`,
  );
}

/**
 * The kubeadm config API version for a Kubernetes release: v1beta2 below 1.22, v1beta3 for 1.22–1.30,
 * v1beta4 from 1.31 (the version each kubeadm release writes with `kubeadm config print`). `forced`
 * (`v1beta3` or `kubeadm.k8s.io/v1beta3`) overrides the choice, but must be one that release's kubeadm
 * reads. Kubernetes before 1.15 has no v1beta2 and is refused with KUBERNETES_VERSION_UNSUPPORTED.
 */
export function configApiVersion(kubernetesVersion: string, forced?: string): ConfigApiVersion {
  const v = parseKubernetesVersion(kubernetesVersion);
  const minor = v.major > 1 ? Number.MAX_SAFE_INTEGER : v.major < 1 ? -1 : v.minor;
  if (minor < 15) {
    throw new JoineryError(
      'KUBERNETES_VERSION_UNSUPPORTED',
      `Kubernetes ${kubernetesVersion} is too old: its kubeadm has no kubeadm.k8s.io/v1beta2 config API (it starts at 1.15)`,
      'upgrade the cluster to Kubernetes 1.15 or later',
    );
  }
  if (forced !== undefined) {
    const chosen = asConfigApiVersion(forced);
    const r = KUBERNETES_RANGE[chosen];
    if (minor < r.since || (r.until !== undefined && minor > r.until)) {
      throw new JoineryError(
        'KUBEADM_API_UNSUPPORTED',
        `kubeadm ${kubernetesVersion} does not read ${kubeadmApiVersion(chosen)} (it needs ${kubernetesRangeText(chosen)})`,
        `use ${kubeadmApiVersion(configApiVersion(kubernetesVersion))} for this release, or leave the API version unset`,
      );
    }
    return chosen;
  }
  if (minor < 22) return 'v1beta2';
  if (minor < 31) return 'v1beta3';
  return 'v1beta4';
}

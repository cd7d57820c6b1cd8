/**
 * The node side of kubeadm's token discovery (cmd/kubeadm/app/discovery/token), without the network:
 * given the data of the kube-public/cluster-info ConfigMap fetched over unverified TLS, decide whether
 * the node can trust it (JWS signed with the bootstrap token, CA matching a pin), and then check that
 * the second fetch over TLS verified with that CA returned the same kubeconfig.
 */
import { JoineryError } from '../errors/index.js';
import { caPinRequired, checkCaPins, parseCaPins, type CaPinSet } from '../pki/index.js';
import { jwsKeyOfTokenId, verifyDetachedJws } from './jws.js';
import { parseClusterInfoKubeconfig, type ClusterInfo } from './kubeconfig.js';
import { isValidTokenId } from '../token/index.js';

/** The cluster-info ConfigMap key holding the kubeconfig (bootstrapapi.KubeConfigKey). */
const CLUSTER_INFO_KUBECONFIG_KEY = 'kubeconfig';

/** A cluster-info kubeconfig that passed the checks. */
export interface VerifiedClusterInfo extends ClusterInfo {
  /** The signed kubeconfig text, to compare with the second fetch (compareClusterInfo). */
  kubeconfig: string;
  /** The pin that matched the CA, or undefined when CA verification was skipped. */
  caPin: string | undefined;
}

export interface VerifyClusterInfoInput {
  /** `.data` of kube-public/cluster-info as fetched. */
  configMapData: Record<string, string>;
  /** The bootstrap token used for discovery (`discovery.bootstrapToken.token`). */
  token: { id: string; secret: string };
  /** `caCertHashes` as given (checked as kubeadm does) or an already parsed pin set. */
  caPins: readonly string[] | CaPinSet;
  /** `unsafeSkipCAVerification`: accept the CA without a pin (only the JWS protects the node). */
  unsafeSkipCAVerification?: boolean;
}

const trust = { family: 'trust' } as const;

function dataValue(data: unknown, key: string): string | undefined {
  if (typeof data !== 'object' || data === null || !Object.prototype.hasOwnProperty.call(data, key)) return undefined;
  const v = (data as Record<string, unknown>)[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * Checks cluster-info as kubeadm's token discovery does (validateClusterInfoToken, then
 * validateClusterCA with pubkeypin.Set.CheckAny) and returns the cluster to join. Throws JoineryError:
 * CA_PIN_INVALID (path discovery.bootstrapToken.caCertHashes[i]), CA_PIN_REQUIRED (no pin and no
 * unsafeSkipCAVerification), and, family trust, CLUSTER_INFO_INVALID (no `kubeconfig` key, or it does
 * not parse), TOKEN_UNKNOWN_OR_EXPIRED (no `jws-kubeconfig-<id>` key), CLUSTER_INFO_TAMPERED (the
 * signature does not verify) and CA_PIN_MISMATCH (the CA is not pinned). No message holds the secret.
 */
export function verifyClusterInfo(input: VerifyClusterInfoInput): VerifiedClusterInfo {
  const { token } = input;
  if (!isValidTokenId(token?.id) || typeof token.secret !== 'string') {
    throw new JoineryError(
      'TOKEN_MALFORMED',
      'the discovery token is not a bootstrap token of the form [a-z0-9]{6}.[a-z0-9]{16}',
      'use a token printed by `kubeadm token create` (e.g. abcdef.0123456789abcdef)',
      { path: 'discovery.bootstrapToken.token' },
    );
  }
  const pins = Array.isArray(input.caPins)
    ? parseCaPins(input.caPins as readonly string[], 'discovery.bootstrapToken.caCertHashes')
    : (input.caPins as CaPinSet);
  if (pins.pins.length === 0 && input.unsafeSkipCAVerification !== true) throw caPinRequired();

  const kubeconfig = dataValue(input.configMapData, CLUSTER_INFO_KUBECONFIG_KEY);
  if (kubeconfig === undefined) {
    throw new JoineryError(
      'CLUSTER_INFO_INVALID',
      'there is no kubeconfig key in the cluster-info ConfigMap: this API server is not set up for token bootstrapping',
      'on a control-plane node run `kubeadm init phase bootstrap-token`, which writes kube-public/cluster-info',
      trust,
    );
  }
  const jws = dataValue(input.configMapData, jwsKeyOfTokenId(token.id));
  if (jws === undefined) {
    throw new JoineryError(
      'TOKEN_UNKNOWN_OR_EXPIRED',
      `there is no JWS signed token in the cluster-info ConfigMap for token id "${token.id}": the token is unknown to ` +
        'this cluster, has expired, lacks the "signing" usage, or the bootstrapsigner controller is not running',
      'on a control-plane node create a new token with `kubeadm token create --print-join-command`; if ' +
        '`kubeadm token list` shows the token with usage signing, check that kube-controller-manager runs the ' +
        'bootstrapsigner controller (--controllers=*,bootstrapsigner,tokencleaner)',
      trust,
    );
  }
  if (!verifyDetachedJws(jws, kubeconfig, token.id, token.secret)) {
    throw new JoineryError(
      'CLUSTER_INFO_TAMPERED',
      `the JWS signature of the cluster-info kubeconfig does not verify for token id "${token.id}": ` +
        'the token secret is wrong or the content was modified on the way; this API server cannot be trusted',
      'check the token secret (`kubeadm token list` on a control-plane node); if the token is right, someone ' +
        'may be intercepting the connection to the API server: do not join',
      trust,
    );
  }

  const cluster = parseClusterInfoKubeconfig(kubeconfig);
  if (pins.pins.length === 0) return { ...cluster, kubeconfig, caPin: undefined };
  let caPin: string;
  try {
    caPin = checkCaPins(pins, cluster.caPem); // PEM only, as certutil.ParseCertsPEM: DER here is refused
  } catch (err) {
    if (err instanceof JoineryError && (err.code === 'CA_CERT_INVALID' || err.code === 'CA_CERT_MISSING')) {
      throw new JoineryError(
        'CLUSTER_INFO_INVALID',
        `the CA certificate in the cluster-info ConfigMap does not parse: ${err.message}`,
        'on a control-plane node, check certificate-authority-data in `kubectl -n kube-public get configmap cluster-info -o yaml` against /etc/kubernetes/pki/ca.crt',
        { ...trust, cause: err },
      );
    }
    throw err;
  }
  return { ...cluster, kubeconfig, caPin };
}

/**
 * kubeadm's second fetch: the cluster-info kubeconfig read again over TLS verified with the pinned CA
 * must be byte-equal to the signed one read first. `secure` is the kubeconfig text or the ConfigMap
 * data of the second fetch. Throws CLUSTER_INFO_CHANGED (family trust) otherwise.
 */
export function compareClusterInfo(insecure: string, secure: string | Record<string, string>): void {
  const second = typeof secure === 'string' ? secure : dataValue(secure, CLUSTER_INFO_KUBECONFIG_KEY);
  if (second !== undefined && Buffer.from(second, 'utf8').equals(Buffer.from(insecure, 'utf8'))) return;
  throw new JoineryError(
    'CLUSTER_INFO_CHANGED',
    'the cluster-info kubeconfig fetched again over verified TLS differs from the signed one fetched first',
    'retry the join; if it keeps failing, cluster-info is being changed (e.g. kubeadm init phase bootstrap-token ' +
      'running) or someone is interfering with the connection',
    trust,
  );
}

/**
 * The provisioner's work, without HTTP: mint a machine (one token bound to its node name, its bootstrap
 * data rendered), the one-time fetch, the derived machine records, revocation — and the loops that keep
 * the cluster right: the CSR approver (node-name binding), the revoker (a token is deleted as soon as
 * its Node registers) and the collector of expired tokens. All state is in the cluster (DESIGN "State"):
 * informers on joinery's token Secrets, kubelet CSRs and Nodes rebuild it after a restart.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { setImmediate as afterPendingIo } from 'node:timers/promises';
import { JoineryError } from '../../errors/index.js';
import {
  CSR_PATH,
  decideCsr,
  deleteTokenSecret,
  getTokenSecret,
  Informer,
  JOINERY_MANAGED_LABEL,
  JOINERY_NODE_NAME_ANNOTATION,
  KUBE_SYSTEM,
  NODES_PATH,
  clusterJoinFacts,
  csrDecision,
  mintNodeToken,
  type CertificateSigningRequest,
  type ClusterJoinFacts,
  type KubeClient,
  type NodeObject,
  type StoredSecret,
} from '../../cluster/index.js';
import { discoveryFileKubeconfig } from '../../discovery/index.js';
import { DNS1123_SUBDOMAIN, validateNodeName } from '../../kubeadm/index.js';
import { decodeTokenSecret, isTokenExpired, tokenString } from '../../token/index.js';
import type { Format } from '../../userdata/plan.js';
import type { MachineSpec } from '../../userdata/spec/index.js';
import { KUBELET_CLIENT_SIGNER, kubeletClientCsrVerdict } from '../approval/index.js';
import { nodeNameAllowed, type ApiKey, type Profile, type ProvisionerConfig } from '../config/index.js';
import { mayUseProfile } from '../auth/index.js';
import {
  DELIVERY_ANNOTATION,
  FETCH_MARKER_TYPE,
  FORMAT_ANNOTATION,
  MACHINE_LABEL,
  NONCE_ANNOTATION,
  PROFILE_LABEL,
  REQUESTED_BY_ANNOTATION,
  machineTokenId,
  machineOf,
  type Machine,
} from '../machine/index.js';
import { JOINERY_NODE_GROUP } from '../setup/index.js';
import type { ProvisionerMetrics } from '../metrics/index.js';
import { stubUserdata } from './stub.js';

export interface ProvisionerLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export interface ProvisionerOptions {
  /** For the informers and the background loops (patient retries). */
  client: KubeClient;
  /**
   * For the work of an API request (mint, fetch, revoke): few and short retries, so that a request fails
   * fast with 503 while kube-apiserver is away instead of hanging. Default: `client`.
   */
  requestClient?: KubeClient;
  /**
   * Whether this replica starts as the one that runs the CSR approver, the revoker and the collector
   * (default true: a single replica). With leader election, start false and call lead(true|false).
   */
  leading?: boolean;
  config: ProvisionerConfig;
  log: ProvisionerLog;
  metrics: ProvisionerMetrics;
  /** Base URL of the one-time fetches (`https://host:port`), known once the server listens. */
  publicUrl: () => string;
  /** PEM of the serving certificate's CA, pinned in stubs (none for plain HTTP). */
  servingCaPem?: string;
  /** How often expired tokens are collected (default 5 s). */
  collectEveryMs?: number;
  /** How long an expired machine stays visible as `expired` before its token is deleted (default 10 min). */
  expiredRetentionMs?: number;
  /** How long cluster-info and the server version are reused (default 30 s). */
  factsTtlMs?: number;
  now?: () => Date;
}

export interface MachineRequest {
  name: string;
  profile: string;
  format?: Format;
  delivery?: 'inline' | 'stub';
}

export interface MintedMachine {
  machine: Machine;
  /** The rendered bootstrap data (inline) or the stub (stub delivery). */
  userdata: string;
  /** The one-time URL (stub delivery). */
  url?: string;
  /** True when the machine existed and this answer repeats its token (a retried request). */
  replayed?: boolean;
}

const MACHINE_NAME_MAX = 63;
const BOOTSTRAP_USER = /^system:bootstrap:([a-z0-9]{6})$/;

function problem(code: string, status: number, message: string, fix: string, path?: string): JoineryError {
  return Object.assign(new JoineryError(code, message, fix, { family: 'input', ...(path === undefined ? {} : { path }) }), { status });
}

/** The HTTP status a JoineryError maps to (`status` set by this module, else by its code). */
export function statusOf(err: JoineryError): number {
  const s = (err as JoineryError & { status?: number }).status;
  if (typeof s === 'number') return s;
  switch (err.code) {
    case 'UNAUTHENTICATED':
      return 401;
    case 'FORBIDDEN_PROFILE':
      return 403;
    case 'CLUSTER_UNREACHABLE':
    case 'CLUSTER_ERROR':
    case 'CLUSTER_TLS':
      return 503;
    case 'FORBIDDEN':
    case 'UNAUTHORIZED':
      return 502;
    default:
      return err.family === 'input' || err.family === 'usage' ? 400 : 500;
  }
}

/** The provisioner: start() it, serve its methods, stop() it. */
export class Provisioner {
  private options: ProvisionerOptions;
  private readonly client: KubeClient;
  private readonly requestClient: KubeClient;
  private leading: boolean;
  readonly tokens: Informer<StoredSecret>;
  readonly csrs: Informer<CertificateSigningRequest>;
  readonly nodes: Informer<NodeObject>;
  private facts: { value: ClusterJoinFacts; at: number } | undefined;
  /** The refresh of `facts` under way: the requests of a burst that find them stale share one. */
  private factsRefresh: Promise<ClusterJoinFacts> | undefined;
  private collector: NodeJS.Timeout | undefined;
  /** CSRs decided by this process (so a watch echo does not decide twice). */
  private readonly decided = new Set<string>();
  private readonly now: () => Date;

  constructor(options: ProvisionerOptions) {
    this.options = options;
    this.client = options.client;
    this.requestClient = options.requestClient ?? options.client;
    this.leading = options.leading ?? true;
    options.metrics.leader.set(this.leading ? 1 : 0);
    this.now = options.now ?? (() => new Date());
    const onError = (e: JoineryError): void => options.log.warn({ code: e.code }, e.message);
    this.tokens = new Informer<StoredSecret>({
      client: this.client,
      path: `/api/v1/namespaces/${KUBE_SYSTEM}/secrets`,
      resource: 'secrets',
      namespace: KUBE_SYSTEM,
      labelSelector: `${JOINERY_MANAGED_LABEL}=true,${MACHINE_LABEL}`,
      fieldSelector: 'type=bootstrap.kubernetes.io/token',
      protobuf: true,
      indexBy: (secret) => secret.metadata.labels?.[MACHINE_LABEL],
      onEvent: (type, secret) => {
        if (type !== 'DELETED') this.revokeIfJoined(secret);
      },
      onError,
    });
    this.csrs = new Informer<CertificateSigningRequest>({
      client: this.client,
      path: CSR_PATH,
      resource: 'certificatesigningrequests.certificates.k8s.io',
      indexBy: (csr) => csr.spec.username,
      onEvent: (type, csr) => {
        if (type !== 'DELETED') void this.decide(csr);
        else this.decided.delete(csr.metadata.uid ?? csr.metadata.name);
      },
      onError,
    });
    this.nodes = new Informer<NodeObject>({
      client: this.client,
      path: NODES_PATH,
      resource: 'nodes',
      onEvent: (type, node) => {
        if (type === 'ADDED') this.onNodeRegistered(node);
      },
      onError,
    });
  }

  /** Replaces the configuration (SIGHUP): profiles and API keys take effect for the next request. */
  reconfigure(config: ProvisionerConfig): void {
    this.options = { ...this.options, config };
  }

  get config(): ProvisionerConfig {
    return this.options.config;
  }

  /** Starts the informers (tokens first, so the approver knows every live token) and the collector. */
  async start(): Promise<void> {
    await this.tokens.start();
    await Promise.all([this.nodes.start(), this.csrs.start()]);
    this.synced = true;
    // Decisions and revocations the informers' first lists made possible, once all three are synced.
    this.catchUp();
    const every = this.options.collectEveryMs ?? 5000;
    this.collector = setInterval(() => void this.collectExpired(), every);
    this.collector.unref();
  }

  async stop(): Promise<void> {
    if (this.collector !== undefined) clearInterval(this.collector);
    await Promise.all([this.tokens.stop(), this.csrs.stop(), this.nodes.stop()]);
  }

  private synced = false;

  /** Decides every pending CSR and revokes every joined machine's token (when leading and synced). */
  private catchUp(): void {
    if (!this.leading || !this.synced) return;
    for (const csr of this.csrs.list()) void this.decide(csr);
    for (const secret of this.tokens.list()) this.revokeIfJoined(secret);
    void this.collectExpired();
  }

  /**
   * Leader election's verdict: only the leader decides CSRs, revokes joined machines' tokens and collects
   * expired ones (so each CSR is decided once); on taking over it catches up on what happened meanwhile.
   */
  lead(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    this.options.metrics.leader.set(leading ? 1 : 0);
    this.options.log.info({ leading }, leading ? 'leading: running the CSR approver, the revoker and the collector' : 'not leading: serving the API only');
    this.catchUp();
  }

  /** Whether the cluster view is live (for /readyz). */
  ready(): boolean {
    return this.tokens.healthy && this.csrs.healthy && this.nodes.healthy;
  }

  private async joinFacts(): Promise<ClusterJoinFacts> {
    const ttl = this.options.factsTtlMs ?? 30_000;
    if (this.facts !== undefined && Date.now() - this.facts.at < ttl) return this.facts.value;
    this.factsRefresh ??= clusterJoinFacts(this.requestClient)
      .then((value) => {
        this.facts = { value, at: Date.now() };
        return value;
      })
      .finally(() => {
        this.factsRefresh = undefined;
      });
    return this.factsRefresh;
  }

  private profileFor(key: ApiKey, name: string): Profile {
    const profile = this.options.config.profiles[name];
    if (profile === undefined) {
      const known = Object.keys(this.options.config.profiles);
      throw problem('PROFILE_UNKNOWN', 400, `profile: no profile is named ${JSON.stringify(name.slice(0, 64))}`, `use one of: ${known.join(', ') || '(none configured)'}`, 'profile');
    }
    if (!mayUseProfile(key, name)) {
      throw problem('FORBIDDEN_PROFILE', 403, `the API key ${JSON.stringify(key.name)} may not use profile ${JSON.stringify(name)}`, 'use a key whose scope lists this profile, or an admin key', 'profile');
    }
    return profile;
  }

  /** The newest live token Secret of a machine in the informer's store. */
  private tokenOf(name: string): StoredSecret | undefined {
    let newest: StoredSecret | undefined;
    for (const s of this.tokens.byIndex(name)) {
      if (newest === undefined || (s.metadata.creationTimestamp ?? '') > (newest.metadata.creationTimestamp ?? '')) newest = s;
    }
    return newest;
  }

  /**
   * The newest kubelet client CSR made with the token `tokenId` since `since` (the token's creation: a token
   * id comes from the machine name, so an earlier machine of that name may have left CSRs of the same user).
   */
  private csrOf(tokenId: string | undefined, since = ''): CertificateSigningRequest | undefined {
    if (tokenId === undefined) return undefined;
    let newest: CertificateSigningRequest | undefined;
    for (const c of this.csrs.byIndex(`system:bootstrap:${tokenId}`)) {
      if ((c.metadata.creationTimestamp ?? '') < since) continue;
      if (newest === undefined || (c.metadata.creationTimestamp ?? '') > (newest.metadata.creationTimestamp ?? '')) newest = c;
    }
    return newest;
  }

  /** The machine `name` (its token as tokenOf finds it, unless the caller has looked it up already). */
  private machineNamed(name: string, token: StoredSecret | undefined = this.tokenOf(name)): Machine | undefined {
    const tokenId = token === undefined ? undefined : decodeTokenSecret(token).token.id;
    const csr = this.csrOf(tokenId, token?.metadata.creationTimestamp);
    const node = this.nodes.get(name);
    // A Node that joinery did not make (no token of ours, no profile label) is not a machine.
    const ours = token !== undefined || node?.metadata.labels?.[PROFILE_LABEL] !== undefined;
    if (!ours) return undefined;
    return machineOf(name, { ...(token === undefined ? {} : { token }), ...(csr === undefined ? {} : { csr }), ...(node === undefined ? {} : { node }) }, this.now());
  }

  /** Every machine the key may see, by name. */
  listMachines(key: ApiKey): Machine[] {
    const names = new Set<string>();
    for (const s of this.tokens.list()) {
      const n = s.metadata.labels?.[MACHINE_LABEL];
      if (n !== undefined) names.add(n);
    }
    for (const n of this.nodes.list()) if (n.metadata.labels?.[PROFILE_LABEL] !== undefined) names.add(n.metadata.name);
    return [...names]
      .sort()
      .map((n) => this.machineNamed(n))
      .filter((m): m is Machine => m !== undefined && mayUseProfile(key, m.profile));
  }

  getMachine(key: ApiKey, name: string): Machine {
    const m = this.machineNamed(name);
    if (m === undefined || !mayUseProfile(key, m.profile)) {
      throw problem('MACHINE_NOT_FOUND', 404, `no machine is named ${JSON.stringify(name.slice(0, 64))}`, 'list machines with GET /v1/machines; a revoked machine is forgotten');
    }
    return m;
  }

  /** Checks a machine name: a DNS subdomain (kubeadm's node-name rule) that fits a label value, matching the profile's pattern. */
  private checkName(name: string, profile: Profile): void {
    try {
      validateNodeName(name, 'name');
    } catch (err) {
      if (err instanceof JoineryError) throw problem('MACHINE_NAME_INVALID', 400, err.message, err.fix, 'name');
      throw err;
    }
    if (name.length > MACHINE_NAME_MAX) {
      throw problem('MACHINE_NAME_INVALID', 400, `name: ${name.length} characters; a machine name is at most ${MACHINE_NAME_MAX} (it is a label value on its token)`, 'use a shorter node name', 'name');
    }
    if (!nodeNameAllowed(profile, name)) {
      throw problem('MACHINE_NAME_NOT_ALLOWED', 400, `name: ${JSON.stringify(name)} does not match profile ${profile.name}'s nodeNamePattern ${profile.nodeNamePatternSource}`, `use a name that matches ${profile.nodeNamePatternSource}, or another profile`, 'name');
    }
  }

  /**
   * Mints a machine: checks name, profile and format, refuses an existing Node of that name, mints the
   * token (its id derived from the name, so the API server refuses a second token for one machine from any
   * replica; auth-extra-groups = joinery's node group; labels joinery.dev/machine and /profile), then renders
   * the bootstrap data — or, for stub delivery, a stub with a one-time URL whose nonce only the caller learns
   * (the token Secret keeps its sha256). The same request again from the same API key, while the machine is
   * pending, gets the same token back (`replayed`): a client that lost the answer (a timeout, a restart of
   * the service) retries without making a second token. Anything else for a live machine is 409.
   */
  async createMachine(key: ApiKey, request: MachineRequest): Promise<MintedMachine> {
    const profile = this.profileFor(key, request.profile);
    this.checkName(request.name, profile);
    const format = request.format ?? profile.format;
    const delivery = request.delivery ?? 'inline';
    const asked = { key, name: request.name, profile, format, delivery };
    const existing = this.tokenOf(request.name);
    const known = this.machineNamed(request.name, existing);
    if (known !== undefined && known.state !== 'expired') return this.replayOrRefuse(asked, existing, known);
    if (this.nodes.get(request.name) !== undefined) {
      throw problem('NODE_EXISTS', 409, `a Node named ${request.name} is already registered`, `delete it first (kubectl delete node ${request.name}) or choose another name`, 'name');
    }
    if (profile.role !== 'worker') {
      throw problem('ROLE_UNSUPPORTED', 400, `profile ${profile.name}: the provisioner mints worker machines only so far (role ${profile.role})`, 'use joinery userdata --role control-plane on a control-plane node for extra control planes', 'profile');
    }
    const facts = await this.joinFacts();
    const nonce = delivery === 'stub' ? randomBytes(32).toString('base64url') : undefined;
    const mintOptions = {
      nodeName: request.name,
      discovery: 'file' as const,
      ttl: `${profile.tokenTtlSeconds}s`,
      description: `joinery: machine ${request.name} (profile ${profile.name})`,
      groups: [JOINERY_NODE_GROUP],
      extraLabels: { [MACHINE_LABEL]: request.name, [PROFILE_LABEL]: profile.name },
      extraAnnotations: {
        [FORMAT_ANNOTATION]: format,
        [DELIVERY_ANNOTATION]: delivery,
        [REQUESTED_BY_ANNOTATION]: key.name,
        ...(nonce === undefined ? {} : { [NONCE_ANNOTATION]: createHash('sha256').update(nonce).digest('hex') }),
      },
    };
    let tokenId: string | undefined = machineTokenId(request.name);
    let minted: Awaited<ReturnType<typeof mintNodeToken>> | undefined;
    for (let attempt = 1; minted === undefined; attempt++) {
      try {
        minted = await mintNodeToken(this.requestClient, { ...mintOptions, ...(tokenId === undefined ? {} : { tokenId }), now: this.now() });
      } catch (err) {
        if (!(err instanceof JoineryError && err.code === 'ALREADY_EXISTS') || tokenId === undefined || attempt >= 4) throw err;
        const taken = await getTokenSecret(this.requestClient, tokenId);
        if (taken === undefined) continue; // deleted meanwhile
        if (taken.metadata.labels?.[MACHINE_LABEL] !== request.name) {
          tokenId = undefined; // another machine's name has the same id: this one gets a random id
          continue;
        }
        const takenToken = decodeTokenSecret(taken);
        if (isTokenExpired(takenToken, this.now())) {
          await deleteTokenSecret(this.requestClient, takenToken.token.id, taken.metadata.uid);
          continue;
        }
        // A live token of this machine made meanwhile (another replica, or this request retried).
        this.tokens.observe(taken);
        return this.replayOrRefuse(asked, taken, this.machineNamed(request.name) ?? (machineOf(request.name, { token: taken }, this.now()) as Machine));
      }
    }
    this.options.metrics.tokensMinted.inc({ profile: profile.name });
    this.options.log.info({ machine: request.name, profile: profile.name, tokenId: minted.token.token.id, format, delivery, key: key.name }, 'machine minted');
    this.tokens.observe(minted.secret);
    const machine = machineOf(request.name, { token: minted.secret }, this.now()) as Machine;
    if (nonce !== undefined) {
      const url = `${this.options.publicUrl()}/v1/machines/${encodeURIComponent(request.name)}/userdata?nonce=${nonce}`;
      return { machine, userdata: stubUserdata(format, url, this.options.servingCaPem), url };
    }
    // The render waits for the I/O that is ready: in a burst, the requests that arrived meanwhile send their
    // tokens to kube-apiserver first, so the API server, the bottleneck, is not left idle while this process
    // renders a batch of answers (README, Benchmarks).
    await afterPendingIo();
    return { machine, userdata: await this.render(profile, request.name, format, minted.text, facts) };
  }

  /**
   * A request for a machine that exists: the same request by the same key while the machine is pending
   * (inline delivery) is answered again with its token; anything else is 409 MACHINE_EXISTS.
   */
  private async replayOrRefuse(asked: { key: ApiKey; name: string; profile: Profile; format: Format; delivery: 'inline' | 'stub' }, token: StoredSecret | undefined, machine: Machine): Promise<MintedMachine> {
    const a = token?.metadata.annotations ?? {};
    const same =
      token !== undefined &&
      machine.state === 'pending' &&
      token.metadata.labels?.[PROFILE_LABEL] === asked.profile.name &&
      a[REQUESTED_BY_ANNOTATION] === asked.key.name &&
      a[FORMAT_ANNOTATION] === asked.format &&
      a[DELIVERY_ANNOTATION] === 'inline' &&
      asked.delivery === 'inline';
    if (token !== undefined && same) {
      const decoded = decodeTokenSecret(token);
      this.options.log.info({ machine: asked.name, tokenId: decoded.token.id, key: asked.key.name }, 'machine requested again: its token is answered again');
      return { machine, userdata: await this.render(asked.profile, asked.name, asked.format, tokenString(decoded.token), await this.joinFacts()), replayed: true };
    }
    const why =
      token === undefined || machine.state !== 'pending'
        ? ''
        : a[DELIVERY_ANNOTATION] === 'stub' || asked.delivery === 'stub'
          ? ' (a stub delivery is never answered twice: its one-time URL cannot be shown again)'
          : ' (only the same request — profile, format, delivery — from the same API key gets the same machine back)';
    throw problem(
      'MACHINE_EXISTS',
      409,
      `machine ${asked.name} already exists (state ${machine.state})${why}`,
      `DELETE /v1/machines/${asked.name} first to revoke it${machine.state === 'joined' || machine.state === 'ready' ? ', and delete its Node (kubectl delete node ' + asked.name + ')' : ''}`,
      'name',
    );
  }

  private renderers: Promise<Renderers> | undefined;
  /** Each profile's spec with its node label and references resolved (a reload makes new Profile objects). */
  private readonly specs = new WeakMap<Profile, MachineSpec>();
  /** The discovery kubeconfig of the current facts (the same for every machine). */
  private discovery: { facts: ClusterJoinFacts; kubeconfig: string } | undefined;

  private async render(profile: Profile, name: string, format: Format, token: string, facts: ClusterJoinFacts): Promise<string> {
    const r = await (this.renderers ??= loadRenderers());
    let spec = this.specs.get(profile);
    if (spec === undefined) {
      spec = r.resolveSecretRefs(withNodeLabel(profile.spec, PROFILE_LABEL, profile.name), () => undefined);
      this.specs.set(profile, spec);
    }
    if (this.discovery?.facts !== facts) this.discovery = { facts, kubeconfig: discoveryFileKubeconfig({ server: facts.server, caData: facts.caPem }) };
    const plan = r.bootPlan(spec, 'worker', {
      nodeName: name,
      kubernetesVersion: facts.kubernetesVersion,
      endpoint: facts.endpoint,
      token,
      caPins: facts.caPins,
      discovery: { kind: 'file', kubeconfig: this.discovery.kubeconfig },
    });
    return r.renderBootData(plan, format);
  }

  /**
   * The one-time fetch: the nonce must hash to the token's annotation (compared in constant time); the
   * first fetch creates the marker Secret (owned by the token Secret, so it goes with it), a second one
   * finds it and gets 410, as does an expired or revoked machine.
   */
  async fetchUserdata(name: string, nonce: string): Promise<{ userdata: string; format: Format }> {
    const gone = (why: string): JoineryError => problem('USERDATA_GONE', 410, `the one-time URL of machine ${JSON.stringify(name.slice(0, 64))} ${why}`, 'request the machine again (POST /v1/machines) for a fresh URL');
    // Anyone may call this (the nonce is the credential): a name that no machine can have is gone at once,
    // before anything reaches the API server.
    if (name.length === 0 || name.length > MACHINE_NAME_MAX || !DNS1123_SUBDOMAIN.test(name)) throw gone('is not valid (unknown, used, revoked or expired)');
    let token = this.tokenOf(name);
    if (token === undefined) {
      // The informer may not have seen a token minted a moment ago: its Secret name follows from the machine name.
      const fresh = await getTokenSecret(this.requestClient, machineTokenId(name));
      if (fresh?.metadata.labels?.[MACHINE_LABEL] === name && fresh.metadata.labels?.[JOINERY_MANAGED_LABEL] === 'true') token = fresh;
    }
    const expected = token?.metadata.annotations?.[NONCE_ANNOTATION];
    const given = createHash('sha256').update(nonce).digest();
    if (token === undefined || expected === undefined || !/^[0-9a-f]{64}$/.test(expected) || !timingSafeEqual(given, Buffer.from(expected, 'hex'))) {
      throw gone('is not valid (unknown, used, revoked or expired)');
    }
    const decoded = decodeTokenSecret(token);
    if (isTokenExpired(decoded, this.now())) throw gone('has expired');
    try {
      await this.requestClient.request(`/api/v1/namespaces/${KUBE_SYSTEM}/secrets`, {
        method: 'POST',
        body: {
          apiVersion: 'v1',
          kind: 'Secret',
          type: FETCH_MARKER_TYPE,
          metadata: {
            name: `joinery-fetched-${decoded.token.id}`,
            namespace: KUBE_SYSTEM,
            labels: { [JOINERY_MANAGED_LABEL]: 'true', [MACHINE_LABEL]: name },
            ownerReferences: [{ apiVersion: 'v1', kind: 'Secret', name: token.metadata.name, uid: token.metadata.uid, blockOwnerDeletion: false }],
          },
        },
        action: { verb: 'create', resource: 'secrets', namespace: KUBE_SYSTEM },
      });
    } catch (err) {
      if (err instanceof JoineryError && err.code === 'ALREADY_EXISTS') throw gone('was used already');
      throw err;
    }
    const profileName = token.metadata.labels?.[PROFILE_LABEL] ?? '';
    const profile = this.options.config.profiles[profileName];
    if (profile === undefined) throw problem('PROFILE_UNKNOWN', 410, `machine ${name}'s profile ${profileName} is no longer configured`, 'request the machine again with a configured profile');
    const format = (token.metadata.annotations?.[FORMAT_ANNOTATION] ?? profile.format) as Format;
    const userdata = await this.render(profile, name, format, tokenString(decoded.token), await this.joinFacts());
    this.options.log.info({ machine: name, tokenId: decoded.token.id }, 'one-time bootstrap data fetched');
    return { userdata, format };
  }

  /** Revokes a machine: deletes its token (the node can no longer join with it). */
  async revokeMachine(key: ApiKey, name: string): Promise<Machine> {
    const m = this.getMachine(key, name);
    if (m.tokenId !== undefined) await deleteTokenSecret(this.requestClient, m.tokenId);
    this.options.metrics.tokensRevoked.inc({ reason: 'api' });
    this.options.log.info({ machine: name, tokenId: m.tokenId }, 'machine revoked');
    const revoked: Machine = { ...m, revokedAt: this.now().toISOString().replace(/\.\d+Z$/, 'Z') };
    if (m.state !== 'joined' && m.state !== 'ready') revoked.state = 'revoked';
    return revoked;
  }

  /** The revoker: a Node registered for a live joinery token means that token has done its one job. */
  private onNodeRegistered(node: NodeObject): void {
    if (!this.leading) return;
    // A machine's token is labelled with its name, which is the node name it was minted for.
    for (const secret of this.tokens.byIndex(node.metadata.name)) {
      if (secret.metadata.annotations?.[JOINERY_NODE_NAME_ANNOTATION] === node.metadata.name) void this.revokeJoined(secret, node);
    }
  }

  private revokeIfJoined(secret: StoredSecret): void {
    if (!this.leading) return;
    const nodeName = secret.metadata.annotations?.[JOINERY_NODE_NAME_ANNOTATION];
    const node = nodeName === undefined ? undefined : this.nodes.get(nodeName);
    if (node !== undefined && this.nodes.healthy) void this.revokeJoined(secret, node);
  }

  private readonly revoking = new Set<string>();

  private async revokeJoined(secret: StoredSecret, node: NodeObject): Promise<void> {
    const { id } = decodeTokenSecret(secret).token;
    if (this.revoking.has(id)) return;
    this.revoking.add(id);
    try {
      const deleted = await deleteTokenSecret(this.client, id, secret.metadata.uid);
      if (!deleted) return;
      const profile = secret.metadata.labels?.[PROFILE_LABEL] ?? '';
      this.options.metrics.joins.inc({ profile });
      this.options.metrics.tokensRevoked.inc({ reason: 'joined' });
      const minted = Date.parse(secret.metadata.creationTimestamp ?? '');
      const joined = Date.parse(node.metadata.creationTimestamp ?? '');
      if (Number.isFinite(minted) && Number.isFinite(joined)) this.options.metrics.mintToJoin.observe({ profile }, Math.max(0, (joined - minted) / 1000));
      this.options.log.info({ machine: node.metadata.name, tokenId: id }, 'node registered; its token is revoked');
    } catch (err) {
      this.options.log.warn({ tokenId: id, code: (err as JoineryError).code }, `revoking the token of a joined node failed: ${(err as Error).message}`);
    } finally {
      this.revoking.delete(id);
    }
  }

  /**
   * The CSR approver: a pending kubelet client CSR from a joinery token is approved only when it asks for
   * the node name the token was minted for (see approval.kubeletClientCsrVerdict), else denied with the
   * reason; CSRs from other tokens are left to kube-controller-manager.
   */
  private async decide(csr: CertificateSigningRequest): Promise<void> {
    if (!this.leading || csrDecision(csr) !== undefined || csr.spec.signerName !== KUBELET_CLIENT_SIGNER) return;
    const key = `${csr.metadata.uid ?? csr.metadata.name}`;
    if (this.decided.has(key)) return;
    const m = BOOTSTRAP_USER.exec(csr.spec.username ?? '');
    let secret = m === null ? undefined : this.tokens.get(`bootstrap-token-${m[1] as string}`);
    if (m !== null && secret === undefined && (csr.spec.groups ?? []).includes(JOINERY_NODE_GROUP)) {
      // A token minted a moment ago may not have reached the informer yet: ask before denying.
      const fresh = await getTokenSecret(this.client, m[1] as string);
      if (fresh?.metadata.labels?.[JOINERY_MANAGED_LABEL] === 'true') secret = fresh;
    }
    const live = secret !== undefined && !isTokenExpired(decodeTokenSecret(secret), this.now());
    const nodeName = live ? secret?.metadata.annotations?.[JOINERY_NODE_NAME_ANNOTATION] : undefined;
    const verdict = kubeletClientCsrVerdict(
      { username: csr.spec.username ?? '', groups: csr.spec.groups ?? [], signerName: csr.spec.signerName, usages: csr.spec.usages ?? [], request: csr.spec.request },
      nodeName === undefined ? undefined : { nodeName },
      await this.clusterVersion(),
    );
    if (verdict.verdict === 'ignore') return;
    this.decided.add(key);
    try {
      await decideCsr(this.client, csr, verdict.verdict === 'approve' ? 'Approved' : 'Denied', verdict.reason, verdict.message, this.now());
      const fields = { csr: csr.metadata.name, username: csr.spec.username, reason: verdict.reason };
      if (verdict.verdict === 'approve') {
        this.options.metrics.csrApprovals.inc();
        this.options.log.info(fields, `CSR approved: ${verdict.message}`);
      } else {
        this.options.metrics.csrDenials.inc({ reason: verdict.reason });
        this.options.log.warn(fields, `CSR denied: ${verdict.message}`);
      }
    } catch (err) {
      this.decided.delete(key);
      if (err instanceof JoineryError && (err.code === 'CONFLICT' || err.code === 'NOT_FOUND')) return;
      this.options.log.warn({ csr: csr.metadata.name, code: (err as JoineryError).code }, `deciding a CSR failed: ${(err as Error).message}`);
    }
  }

  private async clusterVersion(): Promise<{ major: number; minor: number }> {
    const v = (await this.joinFacts()).kubernetesVersion;
    const m = /^v?(\d+)\.(\d+)/.exec(v);
    return m === null ? { major: 1, minor: 0 } : { major: Number(m[1]), minor: Number(m[2]) };
  }

  /** Deletes joinery tokens that expired more than the retention ago (tokencleaner may be off). */
  async collectExpired(): Promise<number> {
    if (!this.tokens.healthy || !this.leading) return 0;
    const retention = this.options.expiredRetentionMs ?? 600_000;
    const cutoff = new Date(this.now().getTime() - retention);
    let n = 0;
    for (const secret of this.tokens.list()) {
      const decoded = decodeTokenSecret(secret);
      if (!isTokenExpired(decoded, cutoff)) continue;
      try {
        if (await deleteTokenSecret(this.client, decoded.token.id, secret.metadata.uid)) {
          n += 1;
          this.options.metrics.tokensRevoked.inc({ reason: 'expired' });
          this.options.log.info({ machine: secret.metadata.labels?.[MACHINE_LABEL], tokenId: decoded.token.id }, 'expired token removed');
        }
      } catch (err) {
        this.options.log.warn({ tokenId: decoded.token.id, code: (err as JoineryError).code }, `removing an expired token failed: ${(err as Error).message}`);
      }
    }
    return n;
  }
}

interface Renderers {
  bootPlan: (typeof import('../../userdata/roles/index.js'))['bootPlan'];
  renderBootData: (typeof import('../../userdata/render/index.js'))['renderBootData'];
  resolveSecretRefs: (typeof import('../../userdata/spec/index.js'))['resolveSecretRefs'];
}

/** The renderers, loaded on first use (they are most of the service's code). */
async function loadRenderers(): Promise<Renderers> {
  const [roles, render, spec] = await Promise.all([import('../../userdata/roles/index.js'), import('../../userdata/render/index.js'), import('../../userdata/spec/index.js')]);
  return { bootPlan: roles.bootPlan, renderBootData: render.renderBootData, resolveSecretRefs: spec.resolveSecretRefs };
}

/** The spec with `key=value` added to the kubelet's --node-labels (so the Node shows it is joinery's machine). */
export function withNodeLabel(spec: MachineSpec, key: string, value: string): MachineSpec {
  const join = spec.joinConfiguration ?? {};
  const registration = join.nodeRegistration ?? {};
  const args = [...(registration.kubeletExtraArgs ?? [])];
  const i = args.findIndex((a) => a.name === 'node-labels');
  const label = `${key}=${value}`;
  if (i >= 0) {
    const current = args[i] as { name: string; value: string };
    args[i] = { name: 'node-labels', value: current.value === '' ? label : `${current.value},${label}` };
  } else args.push({ name: 'node-labels', value: label });
  return { ...spec, joinConfiguration: { ...join, nodeRegistration: { ...registration, kubeletExtraArgs: args } } };
}

/**
 * Leader election on a `coordination.k8s.io/v1` Lease, as client-go's leaderelection package does it:
 * every candidate tries to acquire or renew the Lease every `retryPeriodMs`; a holder keeps it by renewing
 * (`renewTime`), a candidate takes it once it has expired (`renewTime` + `leaseDurationSeconds`), and every
 * write carries the resourceVersion it read, so two candidates never both win. The leader steps down when it
 * could not renew for `renewDeadlineMs`, and releases the Lease on stop so that another takes over at once.
 *
 * Expiry is judged by the Lease's own renewTime when it is not ahead of the local clock (so that a follower
 * takes over within the lease duration of the leader's last renewal), else by when this process saw the
 * record change (client-go's observedTime, safe against a clock far ahead).
 */
import { JoineryError } from '../errors/index.js';
import type { KubeClient } from './client.js';

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string> };
  spec?: LeaseSpec;
}

export interface LeaderElectionOptions {
  client: KubeClient;
  namespace: string;
  name: string;
  /** Unique per process (client-go: hostname_uuid). */
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  onError?: (error: JoineryError) => void;
  now?: () => Date;
}

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/Z$/, '000Z');
}

/**
 * When a Lease held by someone else expires (ms since the epoch): its renewTime plus its duration, unless
 * that renewTime is ahead of `now` by more than a second (a skewed clock), then from `observedAt`.
 */
export function leaseExpiry(spec: LeaseSpec | undefined, observedAt: number, now: number, defaultDurationMs: number): number {
  const durationMs = (spec?.leaseDurationSeconds ?? defaultDurationMs / 1000) * 1000;
  const renewed = spec?.renewTime === undefined ? NaN : Date.parse(spec.renewTime);
  if (Number.isFinite(renewed) && renewed <= now + 1000) return Math.min(renewed, observedAt) + durationMs;
  return observedAt + durationMs;
}

/** Runs the election until stop(); `leading` says whether this process holds the Lease now. */
export class LeaderElector {
  private readonly options: LeaderElectionOptions;
  private readonly now: () => Date;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private inFlight: Promise<void> | undefined;
  /** The record as last read or written, and when (local clock) it last changed. */
  private observed: { record: string; at: number } | undefined;
  private lastRenewed = 0;
  leading = false;
  /** Who holds the Lease, as last seen. */
  holder: string | undefined;

  constructor(options: LeaderElectionOptions) {
    this.options = options;
    this.now = options.now ?? (() => new Date());
  }

  private get path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${this.options.namespace}/leases`;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Stops campaigning; a leader steps down and releases the Lease (holder cleared) so another takes over at once. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.inFlight;
    if (this.leading) {
      this.setLeading(false);
      await this.release().catch((err: unknown) => this.report(err));
    }
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.inFlight = this.round().finally(() => (this.inFlight = undefined));
    }, ms);
    this.timer.unref();
  }

  private report(err: unknown): void {
    if (err instanceof JoineryError) this.options.onError?.(err);
    else this.options.onError?.(new JoineryError('LEASE_ERROR', `leader election: ${(err as Error).message}`, 'see the service log', { family: 'cluster' }));
  }

  private setLeading(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    if (leading) this.options.onStartedLeading();
    else this.options.onStoppedLeading();
  }

  private async round(): Promise<void> {
    let next = this.options.retryPeriodMs;
    try {
      next = await this.tryAcquireOrRenew();
    } catch (err) {
      this.report(err);
    }
    if (this.leading && Date.now() - this.lastRenewed > this.options.renewDeadlineMs) {
      // Could not renew in time: another may take the Lease soon, so stop acting as leader now.
      this.setLeading(false);
    }
    this.schedule(next);
  }

  /** One attempt; returns when to try next (ms). */
  private async tryAcquireOrRenew(): Promise<number> {
    const { client, namespace, name, identity } = this.options;
    const retry = this.options.retryPeriodMs;
    const now = this.now();
    const spec: LeaseSpec = {
      holderIdentity: identity,
      leaseDurationSeconds: Math.max(1, Math.round(this.options.leaseDurationMs / 1000)),
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    const current = await client.request<Lease>(`${this.path}/${name}`, { allowNotFound: true, action: { verb: 'get', resource: 'leases.coordination.k8s.io', namespace, name } });
    if (current === undefined) {
      await client.request(this.path, {
        method: 'POST',
        body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace }, spec },
        action: { verb: 'create', resource: 'leases.coordination.k8s.io', namespace },
      });
      this.won(spec);
      return retry;
    }
    const record = JSON.stringify(current.spec ?? {});
    if (this.observed?.record !== record) this.observed = { record, at: Date.now() };
    const held = current.spec?.holderIdentity;
    this.holder = held === undefined || held === '' ? undefined : held;
    if (held !== undefined && held !== '' && held !== identity) {
      const expiry = leaseExpiry(current.spec, this.observed.at, now.getTime(), this.options.leaseDurationMs);
      if (expiry > now.getTime()) {
        this.setLeading(false);
        // Wake up right when it expires, not up to a retry period later.
        return Math.max(10, Math.min(retry, expiry - now.getTime() + 10));
      }
    }
    if (held === identity) {
      spec.acquireTime = current.spec?.acquireTime ?? spec.acquireTime;
      spec.leaseTransitions = current.spec?.leaseTransitions ?? 0;
    } else spec.leaseTransitions = (current.spec?.leaseTransitions ?? 0) + 1;
    await client.request(`${this.path}/${name}`, {
      method: 'PUT',
      body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { ...current.metadata, name, namespace }, spec },
      action: { verb: 'update', resource: 'leases.coordination.k8s.io', namespace, name },
    });
    this.won(spec);
    return retry;
  }

  private won(spec: LeaseSpec): void {
    this.observed = { record: JSON.stringify(spec), at: Date.now() };
    this.lastRenewed = Date.now();
    this.holder = this.options.identity;
    this.setLeading(true);
  }

  /** Clears the holder (client-go's ReleaseOnCancel) if this process still holds the Lease. */
  private async release(): Promise<void> {
    const { client, namespace, name, identity } = this.options;
    const current = await client.request<Lease>(`${this.path}/${name}`, { allowNotFound: true, action: { verb: 'get', resource: 'leases.coordination.k8s.io', namespace, name } });
    if (current?.spec?.holderIdentity !== identity) return;
    const now = microTime(this.now());
    await client.request(`${this.path}/${name}`, {
      method: 'PUT',
      body: { ...current, spec: { ...current.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now, acquireTime: now } },
      action: { verb: 'update', resource: 'leases.coordination.k8s.io', namespace, name },
    });
  }
}

/**
 * An informer as client-go's reflector makes one: list, then watch from the list's resourceVersion, keep
 * a local store by name and report each change. A watch that ends is resumed; `410 Gone` (the
 * resourceVersion is too old) or any failure leads to a fresh list after a backoff; every `resyncMs`
 * the list is redone, so a change missed while disconnected is reported then.
 */
import { JoineryError } from '../errors/index.js';
import type { Action, KubeClient } from './client.js';

export interface KubeObject {
  metadata: { name: string; namespace?: string; resourceVersion?: string; uid?: string; creationTimestamp?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
}

export type InformerEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface InformerOptions<T extends KubeObject> {
  client: KubeClient;
  /** The collection's path, e.g. `/api/v1/nodes`. */
  path: string;
  /** RBAC words for errors (verb is set per call). */
  resource: string;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Full re-list period (default 5 min). */
  resyncMs?: number;
  /** Backoff after a failure: doubled from baseDelayMs up to maxDelayMs. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  onEvent?: (type: InformerEventType, object: T, previous: T | undefined) => void;
  /** A secondary key (client-go's indexer): `byIndex(key)` finds the objects with that key without a scan. */
  indexBy?: (object: T) => string | undefined;
  /** A failure that the informer recovers from by itself (for logs and /readyz). */
  onError?: (error: JoineryError) => void;
  /**
   * Watch in protobuf (Secrets only, see protobuf.ts): kube-apiserver then reuses the encoding it makes
   * for kube-controller-manager instead of encoding each event in JSON for this watch alone. A frame that
   * cannot be decoded switches this informer to JSON for good (after reporting it through onError).
   */
  protobuf?: boolean;
}

interface WatchEvent {
  type?: string;
  object?: { metadata?: { resourceVersion?: string; name?: string }; code?: number; message?: string };
}

class Gone extends Error {}

/** A self-healing cache of one kind of object, kept up to date by list and watch. */
export class Informer<T extends KubeObject> {
  private readonly store = new Map<string, T>();
  private readonly index = new Map<string, Map<string, T>>();
  private readonly options: InformerOptions<T>;
  private controller = new AbortController();
  private running = false;
  /** Whether the watch asks for protobuf (options.protobuf, until a frame cannot be decoded). */
  private protobuf: boolean;
  private loop: Promise<void> | undefined;
  private syncedOnce: Promise<void>;
  private markSynced: () => void = () => undefined;
  /** True once a list has succeeded and the watch since has not failed. */
  healthy = false;
  /** When the last list or watch event arrived. */
  lastContact: Date | undefined;

  constructor(options: InformerOptions<T>) {
    this.options = options;
    this.protobuf = options.protobuf === true;
    this.syncedOnce = new Promise((resolve) => (this.markSynced = resolve));
  }

  /** Starts listing and watching; resolves once the first list is in the store. */
  start(): Promise<void> {
    if (!this.running) {
      this.running = true;
      this.controller = new AbortController();
      this.loop = this.run();
    }
    return this.syncedOnce;
  }

  /** Stops watching; the store keeps its last contents. */
  async stop(): Promise<void> {
    this.running = false;
    this.controller.abort();
    await this.loop;
  }

  get(name: string): T | undefined {
    return this.store.get(name);
  }

  list(): T[] {
    return [...this.store.values()];
  }

  /** The objects whose `indexBy` key is `key`. */
  byIndex(key: string): T[] {
    const m = this.index.get(key);
    return m === undefined ? [] : [...m.values()];
  }

  /** Every write to the store goes through put and remove, which keep the index. */
  private put(name: string, object: T): void {
    const old = this.store.get(name);
    if (old !== undefined) this.unindex(name, old);
    this.store.set(name, object);
    const key = this.options.indexBy?.(object);
    if (key === undefined) return;
    let m = this.index.get(key);
    if (m === undefined) this.index.set(key, (m = new Map()));
    m.set(name, object);
  }

  private remove(name: string): void {
    const old = this.store.get(name);
    if (old === undefined) return;
    this.unindex(name, old);
    this.store.delete(name);
  }

  private unindex(name: string, object: T): void {
    const key = this.options.indexBy?.(object);
    if (key === undefined) return;
    const m = this.index.get(key);
    m?.delete(name);
    if (m?.size === 0) this.index.delete(key);
  }

  /**
   * Puts an object this process has just written into the store (read-your-writes: a list right after a create
   * shows it before its watch event arrives). Nothing is emitted; the watch event replaces it when it comes.
   */
  observe(object: T): void {
    const name = object.metadata.name;
    if (name !== undefined && !this.store.has(name)) this.put(name, object);
  }

  private action(verb: Action['verb']): Action {
    return { verb, resource: this.options.resource, ...(this.options.namespace === undefined ? {} : { namespace: this.options.namespace }) };
  }

  private selectors(): Record<string, string> {
    const q: Record<string, string> = {};
    if (this.options.labelSelector !== undefined) q['labelSelector'] = this.options.labelSelector;
    if (this.options.fieldSelector !== undefined) q['fieldSelector'] = this.options.fieldSelector;
    return q;
  }

  private async run(): Promise<void> {
    const base = this.options.baseDelayMs ?? 200;
    const max = this.options.maxDelayMs ?? 10_000;
    const resyncMs = this.options.resyncMs ?? 300_000;
    let failures = 0;
    while (this.running) {
      try {
        const resourceVersion = await this.relist();
        failures = 0;
        this.markSynced();
        await this.watchUntil(resourceVersion, Date.now() + resyncMs);
      } catch (err) {
        if (!this.running) break;
        this.healthy = false;
        if (err instanceof JoineryError && err.code === 'WATCH_UNDECODABLE') this.protobuf = false;
        if (!(err instanceof Gone)) {
          failures += 1;
          const e =
            err instanceof JoineryError
              ? err
              : new JoineryError('CLUSTER_UNREACHABLE', `watching ${this.options.path} failed: ${(err as Error).message}`, 'check that kube-apiserver is running', { family: 'cluster' });
          this.options.onError?.(e);
          const delay = Math.min(max, base * 2 ** Math.min(failures - 1, 16));
          await this.sleep(delay / 2 + Math.random() * (delay / 2));
        }
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.controller.signal.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** Lists the collection, reports the differences with the store, and returns the list's resourceVersion. */
  private async relist(): Promise<string> {
    const list = await this.options.client.request<{ metadata?: { resourceVersion?: string }; items?: T[] }>(this.options.path, {
      query: this.selectors(),
      action: this.action('list'),
    });
    this.lastContact = new Date();
    const seen = new Set<string>();
    for (const item of list?.items ?? []) {
      const name = item.metadata.name;
      seen.add(name);
      const old = this.store.get(name);
      this.put(name, item);
      if (old === undefined) this.emit('ADDED', item, undefined);
      else if (old.metadata.resourceVersion !== item.metadata.resourceVersion) this.emit('MODIFIED', item, old);
    }
    for (const [name, old] of [...this.store]) {
      if (!seen.has(name)) {
        this.remove(name);
        this.emit('DELETED', old, old);
      }
    }
    this.healthy = true;
    return list?.metadata?.resourceVersion ?? '';
  }

  private async watchUntil(resourceVersion: string, deadline: number): Promise<void> {
    let rv = resourceVersion;
    while (this.running && Date.now() < deadline) {
      const timeoutSeconds = Math.max(1, Math.min(300, Math.ceil((deadline - Date.now()) / 1000)));
      await this.options.client.watch(
        this.options.path,
        { ...this.selectors(), resourceVersion: rv, allowWatchBookmarks: 'true', timeoutSeconds: String(timeoutSeconds) },
        this.action('watch'),
        (raw) => {
          const event = raw as WatchEvent;
          this.lastContact = new Date();
          if (event.type === 'ERROR') {
            if (event.object?.code === 410) throw new Gone('resourceVersion too old');
            throw new Error(`watch error ${event.object?.code ?? ''}: ${event.object?.message ?? ''}`);
          }
          const object = event.object as unknown as T | undefined;
          const objectRv = object?.metadata?.resourceVersion;
          if (objectRv !== undefined) rv = objectRv;
          if (event.type === 'BOOKMARK' || object?.metadata?.name === undefined) return;
          const name = object.metadata.name;
          const old = this.store.get(name);
          if (event.type === 'DELETED') {
            this.remove(name);
            this.emit('DELETED', object, old);
          } else if (event.type === 'ADDED' || event.type === 'MODIFIED') {
            this.put(name, object);
            this.emit(old === undefined ? 'ADDED' : 'MODIFIED', object, old);
          }
        },
        this.controller.signal,
        this.protobuf,
      );
    }
  }

  private emit(type: InformerEventType, object: T, previous: T | undefined): void {
    try {
      this.options.onEvent?.(type, object, previous);
    } catch (err) {
      this.options.onError?.(
        err instanceof JoineryError ? err : new JoineryError('INTERNAL', `an informer handler failed: ${(err as Error).message}`, 'report this bug', { family: 'internal' }),
      );
    }
  }
}

/**
 * Per-API-key rate limits: one token bucket per key name (`rateLimit` in joinery.yaml). Pure: the caller
 * passes the time. A refused request learns how long to wait (for `Retry-After`).
 */
import type { RateLimit } from '../config/index.js';

interface Bucket {
  tokens: number;
  at: number;
  limit: RateLimit;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  /** Takes one request from `key`'s bucket at `nowMs`; a changed limit (config reload) starts a full bucket. */
  take(key: string, limit: RateLimit, nowMs: number): RateDecision {
    let b = this.buckets.get(key);
    if (b === undefined || b.limit.requestsPerSecond !== limit.requestsPerSecond || b.limit.burst !== limit.burst) {
      b = { tokens: limit.burst, at: nowMs, limit };
      this.buckets.set(key, b);
    }
    const elapsed = Math.max(0, nowMs - b.at);
    b.tokens = Math.min(limit.burst, b.tokens + (elapsed * limit.requestsPerSecond) / 1000);
    b.at = Math.max(b.at, nowMs);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterMs: Math.ceil(((1 - b.tokens) * 1000) / limit.requestsPerSecond) };
  }

  /** Forgets keys no longer configured. */
  retain(keys: Iterable<string>): void {
    const keep = new Set(keys);
    for (const k of this.buckets.keys()) if (!keep.has(k)) this.buckets.delete(k);
  }
}

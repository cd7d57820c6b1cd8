/**
 * The provisioner's Prometheus metrics (prom-client): HTTP requests, tokens minted and revoked, joins,
 * CSR decisions and the time from mint to join. One registry per service, so tests can run several.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface ProvisionerMetrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  tokensMinted: Counter<'profile'>;
  tokensRevoked: Counter<'reason'>;
  joins: Counter<'profile'>;
  csrApprovals: Counter;
  csrDenials: Counter<'reason'>;
  mintToJoin: Histogram<'profile'>;
  /** 1 while this replica holds the leader Lease (runs the approver, revoker and collector). */
  leader: Gauge;
  rateLimited: Counter<'key'>;
}

export function provisionerMetrics(): ProvisionerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'joinery_' });
  const registers = [registry];
  return {
    registry,
    requests: new Counter({ name: 'joinery_http_requests_total', help: 'HTTP requests by method, route and status', labelNames: ['method', 'route', 'status'], registers }),
    tokensMinted: new Counter({ name: 'joinery_tokens_minted_total', help: 'Bootstrap tokens minted for machines', labelNames: ['profile'], registers }),
    tokensRevoked: new Counter({ name: 'joinery_tokens_revoked_total', help: 'Machine tokens deleted, by reason (joined, api, expired)', labelNames: ['reason'], registers }),
    joins: new Counter({ name: 'joinery_joins_total', help: 'Machines whose Node registered', labelNames: ['profile'], registers }),
    csrApprovals: new Counter({ name: 'joinery_csr_approvals_total', help: 'Kubelet client CSRs approved by joinery', registers }),
    csrDenials: new Counter({ name: 'joinery_csr_denials_total', help: 'Kubelet client CSRs from joinery tokens denied, by reason', labelNames: ['reason'], registers }),
    mintToJoin: new Histogram({
      name: 'joinery_mint_to_join_seconds',
      help: 'Time from token mint to Node registration',
      labelNames: ['profile'],
      buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600],
      registers,
    }),
    leader: new Gauge({ name: 'joinery_leader', help: '1 while this replica is the leader (CSR approver, revoker, collector run here)', registers }),
    rateLimited: new Counter({ name: 'joinery_rate_limited_total', help: 'Requests refused with 429, by API key name', labelNames: ['key'], registers }),
  };
}

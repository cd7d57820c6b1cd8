/**
 * The API's OpenAPI 3.0 document, served at /v1/openapi.json. The request-body schema here is also the
 * one the server validates with, so the document cannot drift from what is enforced.
 */
import { FORMATS } from '../../userdata/plan.js';
import { MACHINE_STATES } from '../machine/index.js';

export const machineRequestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'profile'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 63, description: 'The node name the machine will register as (its token is bound to it).' },
    profile: { type: 'string', minLength: 1, maxLength: 63, description: 'A profile of the service configuration.' },
    format: { type: 'string', enum: [...FORMATS], description: "Bootstrap-data format; default: the profile's." },
    delivery: { type: 'string', enum: ['inline', 'stub'], description: 'inline (default): the bootstrap data itself; stub: a small document that fetches it once from a one-time URL.' },
  },
} as const;

const machineSchema = {
  type: 'object',
  required: ['name', 'profile', 'state'],
  properties: {
    name: { type: 'string' },
    profile: { type: 'string' },
    format: { type: 'string' },
    state: { type: 'string', enum: [...MACHINE_STATES] },
    tokenId: { type: 'string', description: "The token's public id (never its secret)." },
    mintedAt: { type: 'string', format: 'date-time' },
    expiresAt: { type: 'string', format: 'date-time' },
    approvedAt: { type: 'string', format: 'date-time' },
    deniedAt: { type: 'string', format: 'date-time' },
    denial: { type: 'object', properties: { reason: { type: 'string' }, message: { type: 'string' } } },
    joinedAt: { type: 'string', format: 'date-time' },
    readyAt: { type: 'string', format: 'date-time' },
    revokedAt: { type: 'string', format: 'date-time' },
  },
};

const errorSchema = {
  type: 'object',
  required: ['code', 'message', 'fix'],
  properties: { code: { type: 'string' }, message: { type: 'string' }, fix: { type: 'string' }, path: { type: 'string' } },
};

const err = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
const json = (description: string, ref: unknown) => ({ description, content: { 'application/json': { schema: ref } } });
const nameParam = { name: 'name', in: 'path', required: true, schema: { type: 'string' } };

/** The OpenAPI document. */
export function openApiDocument(version: string): Record<string, unknown> {
  return {
    openapi: '3.0.3',
    info: { title: 'joinery provisioner', version, description: 'Bootstrap data for machines joining a kubeadm cluster, with one short-lived token per machine bound to its node name.' },
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key of the service configuration (stored there as its sha256).' } },
      schemas: {
        MachineRequest: machineRequestSchema,
        Machine: machineSchema,
        MachineCreated: { allOf: [{ $ref: '#/components/schemas/Machine' }, { type: 'object', required: ['userdata'], properties: { userdata: { type: 'string' }, url: { type: 'string', description: 'The one-time URL (stub delivery).' } } }] },
        Error: errorSchema,
      },
    },
    security: [{ apiKey: [] }],
    paths: {
      '/v1/machines': {
        post: {
          summary: 'Mint a machine: its token, and its bootstrap data (or a stub with a one-time URL)',
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/MachineRequest' } } } },
          responses: {
            201: json('Minted', { $ref: '#/components/schemas/MachineCreated' }),
            400: err('Invalid request (the message names the field)'),
            401: err('No or unknown API key'),
            403: err('The key may not use this profile'),
            409: err('The machine or its Node exists'),
            413: err('Body too large'),
            503: err('The Kubernetes API is unavailable; retry after Retry-After seconds'),
          },
        },
        get: { summary: 'List machines', responses: { 200: json('Machines', { type: 'object', properties: { items: { type: 'array', items: { $ref: '#/components/schemas/Machine' } } } }), 401: err('Unauthenticated') } },
      },
      '/v1/machines/{name}': {
        parameters: [nameParam],
        get: { summary: 'One machine', responses: { 200: json('The machine', { $ref: '#/components/schemas/Machine' }), 404: err('No such machine') } },
        delete: { summary: 'Revoke a machine (deletes its token)', responses: { 200: json('The revoked machine', { $ref: '#/components/schemas/Machine' }), 404: err('No such machine') } },
      },
      '/v1/machines/{name}/userdata': {
        parameters: [nameParam, { name: 'nonce', in: 'query', required: true, schema: { type: 'string' } }],
        get: {
          summary: "The one-time fetch of a stub-delivered machine's bootstrap data",
          security: [],
          responses: { 200: { description: 'The bootstrap data', content: { 'text/plain': {}, 'application/json': {} } }, 410: err('Used, expired, revoked or unknown') },
        },
      },
      '/healthz': { get: { security: [], summary: 'Liveness', responses: { 200: { description: 'ok' } } } },
      '/readyz': { get: { security: [], summary: 'Readiness: the cluster view is live', responses: { 200: { description: 'ready' }, 503: { description: 'not ready' } } } },
      '/metrics': { get: { security: [], summary: 'Prometheus metrics', responses: { 200: { description: 'text exposition format' } } } },
    },
  };
}

/**
 * `joinery manifests`: prints the objects that run the provisioner in a cluster (src/provisioner/manifests)
 * as multi-document YAML, starting with a comment on the two Secrets to create first, or as a JSON
 * `v1 List`. Nothing is sent anywhere: `joinery manifests | kubectl apply -f -`.
 */
import { JoineryError } from '../errors/index.js';
import {
  DEFAULT_NAMESPACE,
  DEFAULT_REPLICAS,
  IMAGE_REPOSITORY,
  checkImage,
  checkNamespace,
  manifestList,
  manifestsPreamble,
  parseReplicas,
  provisionerManifests,
  type ManifestOptions,
} from '../provisioner/manifests/index.js';
import type { Io } from './report.js';
import { VERSION } from './main.js';

export type ManifestsFormat = 'yaml' | 'json';

export interface ManifestsOptions {
  namespace?: string;
  image?: string;
  replicas?: string;
  output?: string;
}

/** The image `joinery manifests` names by default: this release's. */
export function defaultImage(): string {
  return `${IMAGE_REPOSITORY}:${VERSION}`;
}

/** Validates `-o` for this command: yaml or json only (the objects are data, there is no table). */
export function manifestsFormat(value: string): ManifestsFormat {
  if (value === 'yaml' || value === 'json') return value;
  throw new JoineryError('OUTPUT_FORMAT_INVALID', `--output ${JSON.stringify(value.slice(0, 40))} is not an output format of manifests`, 'use -o yaml (the default) or -o json', {
    family: 'usage',
    path: '--output',
  });
}

/** The checked options, defaults filled. */
export function manifestOptions(options: ManifestsOptions): ManifestOptions {
  return {
    namespace: checkNamespace(options.namespace ?? DEFAULT_NAMESPACE),
    image: checkImage(options.image ?? defaultImage()),
    replicas: parseReplicas(options.replicas ?? String(DEFAULT_REPLICAS)),
  };
}

/** The text `joinery manifests` prints for the options. */
export async function renderManifests(options: ManifestsOptions): Promise<string> {
  const format = manifestsFormat(options.output ?? 'yaml');
  const opts = manifestOptions(options);
  const objects = provisionerManifests(opts);
  if (format === 'json') return `${JSON.stringify(manifestList(objects), null, 2)}\n`;
  // yaml is CommonJS: its functions are on the default export both under Node and in the CLI bundle.
  const yaml = (await import('yaml')) as unknown as { default: { stringify: (v: unknown, o?: Record<string, unknown>) => string } };
  const docs = objects.map((o) => `---\n${yaml.default.stringify(o, { lineWidth: 0, indentSeq: false })}`);
  return manifestsPreamble(opts) + docs.join('');
}

export async function manifests(options: ManifestsOptions, io: Io): Promise<number> {
  io.stdout(await renderManifests(options));
  return 0;
}

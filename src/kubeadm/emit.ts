/**
 * Writing kubeadm config documents: model → versioned plain object → YAML in kubeadm's own style.
 * Every document is checked against its version's schema before it is returned, so joinery never
 * writes a document kubeadm would refuse; what a version cannot express is a KUBEADM_FIELD_UNSUPPORTED
 * error naming the field and the version that has it.
 */
import type { KubeadmKind, VersionConverter } from './common.js';
import { clusterToSuperset, initToSuperset, joinToSuperset } from './convert.js';
import { marshalGoYaml, type JsonValue } from '../goyaml/index.js';
import type { ClusterConfiguration, Duration, InitConfiguration, JoinConfiguration, KubeadmConfig } from './model.js';
import { checkDocument, type JsonObject, type ObjectSpec } from './schema.js';
import { v1beta2 } from './v1beta2.js';
import { v1beta3 } from './v1beta3.js';
import { v1beta4 } from './v1beta4.js';
import { CONFIG_API_VERSIONS, asConfigApiVersion, kubeadmApiVersion, versionRank, type ConfigApiVersion } from './version.js';

export const CONVERTERS: Readonly<Record<ConfigApiVersion, VersionConverter>> = { v1beta2, v1beta3, v1beta4 };

/** A versioned kubeadm document as a plain object: `{apiVersion, kind, ...fields}`. */
export type KubeadmDocument = JsonObject & { apiVersion: string; kind: string };

const SPECS_BY_VERSION: Readonly<Record<KubeadmKind, ReadonlyMap<ConfigApiVersion, ObjectSpec>>> = {
  InitConfiguration: new Map(CONFIG_API_VERSIONS.map((v) => [v, CONVERTERS[v].schemas.InitConfiguration])),
  ClusterConfiguration: new Map(CONFIG_API_VERSIONS.map((v) => [v, CONVERTERS[v].schemas.ClusterConfiguration])),
  JoinConfiguration: new Map(CONFIG_API_VERSIONS.map((v) => [v, CONVERTERS[v].schemas.JoinConfiguration])),
};

/** The same kind's spec in every version, so that errors can say which version has a field (built once per kind). */
export function specsByVersion(kind: KubeadmKind): ReadonlyMap<ConfigApiVersion, ObjectSpec> {
  return SPECS_BY_VERSION[kind];
}

function converterFor(apiVersion: string): VersionConverter {
  return CONVERTERS[asConfigApiVersion(apiVersion)];
}

/** `superset` must be freshly built: the converter takes ownership of it (VersionConverter.toVersioned). */
function finish(kind: KubeadmKind, superset: JsonObject, conv: VersionConverter): KubeadmDocument {
  const body = conv.toVersioned(kind, superset);
  checkDocument(body, conv.schemas[kind], { kind, version: conv.version, mode: 'emit', specsByVersion: specsByVersion(kind) });
  return { apiVersion: kubeadmApiVersion(conv.version), kind, ...body };
}

/**
 * A JoinConfiguration as the versioned document `apiVersion` (`v1beta3` or `kubeadm.k8s.io/v1beta3`)
 * defines it. Before v1beta4, `timeouts.discovery` is written as `discovery.timeout`.
 */
export function joinConfigurationDocument(model: JoinConfiguration, apiVersion: string): KubeadmDocument {
  return finish('JoinConfiguration', joinToSuperset(model), converterFor(apiVersion));
}

/**
 * An InitConfiguration as a versioned document. Before v1beta4 an InitConfiguration has no timeouts:
 * controlPlaneComponentHealthCheck can only be written through kubeadmDocuments together with a
 * ClusterConfiguration (as its apiServer.timeoutForControlPlane).
 */
export function initConfigurationDocument(model: InitConfiguration, apiVersion: string): KubeadmDocument {
  return finish('InitConfiguration', initToSuperset(model), converterFor(apiVersion));
}

/**
 * A ClusterConfiguration as a versioned document. `init` (the InitConfiguration written with it) gives
 * apiServer.timeoutForControlPlane before v1beta4.
 */
export function clusterConfigurationDocument(
  model: ClusterConfiguration,
  apiVersion: string,
  init?: InitConfiguration,
): KubeadmDocument {
  const conv = converterFor(apiVersion);
  const timeout: Duration | undefined =
    versionRank(conv.version) < versionRank('v1beta4') ? init?.timeouts?.controlPlaneComponentHealthCheck : undefined;
  return finish('ClusterConfiguration', clusterToSuperset(model, timeout), conv);
}

/**
 * The documents of one kubeadm config file, in kubeadm's order (InitConfiguration, ClusterConfiguration,
 * JoinConfiguration). Before v1beta4 the InitConfiguration's timeouts.controlPlaneComponentHealthCheck
 * moves to the ClusterConfiguration's apiServer.timeoutForControlPlane, so both must be given then.
 */
export function kubeadmDocuments(config: KubeadmConfig, apiVersion: string): KubeadmDocument[] {
  const conv = converterFor(apiVersion);
  const docs: KubeadmDocument[] = [];
  if (config.init) {
    let init = config.init;
    if (config.cluster && versionRank(conv.version) < versionRank('v1beta4') && init.timeouts) {
      const { controlPlaneComponentHealthCheck: _moved, ...rest } = init.timeouts;
      init = { ...init, timeouts: rest };
    }
    docs.push(initConfigurationDocument(init, conv.version));
  }
  if (config.cluster) docs.push(clusterConfigurationDocument(config.cluster, conv.version, config.init));
  if (config.join) docs.push(joinConfigurationDocument(config.join, conv.version));
  return docs;
}

/**
 * Multi-document YAML as kubeadm writes it (`kubeadm config print init-defaults`): each document
 * marshalled like sigs.k8s.io/yaml (keys sorted at every level, Go durations, only set fields), joined
 * with `---` lines.
 */
export function emitKubeadmYaml(documents: readonly JsonObject[]): string {
  return documents.map((d) => marshalGoYaml(d as JsonValue)).join('---\n');
}

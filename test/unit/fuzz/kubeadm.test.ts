/**
 * Fuzzing the kubeadm config reader (parseKubeadmDocuments, issue 6 §3): 18,000 cases by default, 100,000 with
 * JOINERY_FUZZ_RUNS=100000, most of them mutations of valid multi-document files of every config API version
 * (the golden models of test/unit/kubeadm/fixtures.ts); each gives documents or a typed JoineryError
 * that names the field's path and echoes no token or certificate key.
 */
import { test } from 'node:test';
import fc from 'fast-check';
import { CONFIG_API_VERSIONS, kubeadmDocuments, parseKubeadmDocuments } from '../../../src/kubeadm/index.js';
import { GOLDEN_CONFIGS } from '../kubeadm/fixtures.js';
import {
  applyMutations,
  applyTextEdits,
  blockYaml,
  checkOutcome,
  deepTextArbitrary,
  fcParams,
  fieldNames,
  fuzzRuns,
  laughs,
  laughsSize,
  mutation,
  rawText,
  share,
  textEdits,
  SECRETS,
  type Expectation,
  type Json,
} from './fuzz.js';

/** Every golden config in every version, as the list of its documents. */
const BASES: Json[] = CONFIG_API_VERSIONS.flatMap((v) =>
  Object.values(GOLDEN_CONFIGS).map((c) => JSON.parse(JSON.stringify(kubeadmDocuments(c, v), (_k, x: unknown) => (typeof x === 'bigint' ? Number(x) : x))) as Json),
);
BASES.push([{ apiVersion: 'kubeadm.k8s.io/v1beta4', kind: 'ResetConfiguration', force: true }, { apiVersion: 'kubelet.config.k8s.io/v1beta1', kind: 'KubeletConfiguration', cgroupDriver: 'systemd' }]);
const FIELDS = [...fieldNames(...BASES), 'apiVersion', 'kind', 'timeouts', 'discovery', 'file', 'kubeConfigPath', 'unsafeSkipCAVerification', 'skipPhases', 'patches', 'dryRun', 'encryptionAlgorithm'];

const ROOT_CODES = new Set(['KUBEADM_YAML_INVALID']);
const expect: Expectation = { secrets: SECRETS, pathRequiredUnless: (err) => ROOT_CODES.has(err.code) };

/** The documents of a file: each written alone (JSON or block YAML), joined with `---`. */
const file = (docs: Json, yaml: boolean): string =>
  Array.isArray(docs) ? docs.map((d) => (yaml ? blockYaml(d) : `${JSON.stringify(d) ?? ''}\n`)).join('---\n') : yaml ? blockYaml(docs) : (JSON.stringify(docs) ?? '');

const RUNS = fuzzRuns(18_000);
const WEIGHTS = { json: 35, yaml: 30, edited: 20, raw: 12, bombs: 3 };
const TOTAL = Object.values(WEIGHTS).reduce((a, b) => a + b, 0);

test('every base file is valid', () => {
  for (const b of BASES) {
    parseKubeadmDocuments(file(b, false));
    parseKubeadmDocuments(file(b, true));
  }
});

const base = fc.nat(BASES.length - 1).map((i) => BASES[i] as Json);
const mutations = fc.array(mutation(FIELDS), { minLength: 1, maxLength: 3 });

// A change below a document (depth 2 and more: the list of documents is the root) should be named by path.
test(`fuzz: valid kubeadm files with fields replaced, deleted, added, copied, nested, as JSON documents (${share(RUNS, WEIGHTS.json, TOTAL)} cases)`, () => {
  fc.assert(
    fc.property(base, mutations, (b, ms) => {
      const { doc, depth } = applyMutations(b, ms);
      checkOutcome(parseKubeadmDocuments, file(doc, false), expect, depth > 1);
    }),
    fcParams(share(RUNS, WEIGHTS.json, TOTAL)),
  );
});

test(`fuzz: the same mutations as block YAML with anchors and aliases (${share(RUNS, WEIGHTS.yaml, TOTAL)} cases)`, () => {
  fc.assert(
    fc.property(base, mutations, (b, ms) => {
      const { doc, depth } = applyMutations(b, ms);
      checkOutcome(parseKubeadmDocuments, file(doc, true), expect, depth > 1);
    }),
    fcParams(share(RUNS, WEIGHTS.yaml, TOTAL)),
  );
});

test(`fuzz: mutated YAML with raw text edits: tags, anchors, merge keys, duplicate keys, huge numbers (${share(RUNS, WEIGHTS.edited, TOTAL)} cases)`, () => {
  fc.assert(
    fc.property(base, fc.array(mutation(FIELDS), { maxLength: 2 }), textEdits(), (b, ms, edits) => {
      checkOutcome(parseKubeadmDocuments, applyTextEdits(file(applyMutations(b, ms).doc, true), edits), expect);
    }),
    fcParams(share(RUNS, WEIGHTS.edited, TOTAL)),
  );
});

test(`fuzz: raw text and arbitrary values (${share(RUNS, WEIGHTS.raw, TOTAL)} cases)`, () => {
  fc.assert(
    fc.property(fc.oneof({ arbitrary: rawText(FIELDS), weight: 5 }, { arbitrary: fc.anything({ maxDepth: 2 }), weight: 1 }), (input) => void checkOutcome(parseKubeadmDocuments, input, expect)),
    fcParams(share(RUNS, WEIGHTS.raw, TOTAL)),
  );
});

test(`fuzz: billion laughs and deep nesting (${share(RUNS, WEIGHTS.bombs, TOTAL)} cases)`, () => {
  const bomb = fc.oneof(
    laughsSize().map(([d, w]) => `apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\n${laughs(d, w, 'skipPhases')}`),
    deepTextArbitrary(),
    deepTextArbitrary().map((t) => `apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\nskipPhases: ${t.startsWith('[') || t.startsWith('{') ? t : '\n' + t.replace(/^/gm, '  ')}`),
  );
  fc.assert(
    fc.property(bomb, (text) => void checkOutcome(parseKubeadmDocuments, text, expect)),
    fcParams(share(RUNS, WEIGHTS.bombs, TOTAL)),
  );
});

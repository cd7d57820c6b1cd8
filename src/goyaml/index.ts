/**
 * The Go YAML library kubeadm and client-go write and read with (gopkg.in/yaml.v2 behind sigs.k8s.io/yaml):
 * its writer, byte for byte, and its resolution of plain scalars. No I/O.
 */
export { goYamlKeyLess, goYamlSortedKeys, goYamlUnsupportedCharacter, marshalGoYaml, type JsonValue } from './marshal.js';
export { goYamlResolvesNonString, isGoYamlBase60Float, resolveGoYamlPlain, type GoYamlScalar } from './resolve.js';

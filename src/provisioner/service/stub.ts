/**
 * Stub delivery: a small document that makes the machine fetch its real bootstrap data from the one-time
 * URL — Ignition's `config.replace` with the service's CA pinned in `ignition.security.tls`, cloud-init's
 * `#include`, or a shell script that fetches with curl (the URL goes to curl on stdin, never in argv).
 */
import { dataUrlResource } from '../../userdata/render/index.js';
import type { Format } from '../../userdata/plan.js';

const STUB_IGNITION_VERSION = '3.4.0';

/** The stub of `format` for `url`; `caPem` (the serving CA) is pinned where the format can pin one. */
export function stubUserdata(format: Format, url: string, caPem?: string): string {
  if (format === 'ignition') {
    const config: Record<string, unknown> = { ignition: { version: STUB_IGNITION_VERSION, config: { replace: { source: url } } } };
    if (caPem !== undefined) {
      (config['ignition'] as Record<string, unknown>)['security'] = { tls: { certificateAuthorities: [dataUrlResource(Buffer.from(caPem))] } };
    }
    return `${JSON.stringify(config)}\n`;
  }
  if (format === 'cloud-config') return `#include\n${url}\n`;
  const quoted = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const lines = [
    '#!/bin/sh',
    '# joinery stub: fetches this machine\'s bootstrap data once, then runs it.',
    'set -eu',
    'umask 077',
    'dir=$(mktemp -d)',
    'trap \'rm -rf "$dir"\' EXIT',
  ];
  if (caPem !== undefined) lines.push(`cat >"$dir/ca.crt" <<'JOINERY_CA'`, caPem.trimEnd(), 'JOINERY_CA');
  lines.push(
    `printf 'url = "%s"\\n' ${quoted(url)} | curl -fsS --retry 5 --retry-connrefused${caPem !== undefined ? ' --cacert "$dir/ca.crt"' : ''} -K - -o "$dir/bootstrap.sh"`,
    'sh "$dir/bootstrap.sh"',
  );
  return `${lines.join('\n')}\n`;
}

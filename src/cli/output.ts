/**
 * `-o text|json|yaml` for commands whose result kubectl users would want as data. The yaml package is
 * imported only when YAML is asked for, to keep the CLI's start-up import graph small.
 */
import { JoineryError } from '../errors/index.js';

const OUTPUT_FORMATS = ['text', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Validates the value of `-o/--output`. */
export function outputFormat(value: string): OutputFormat {
  if ((OUTPUT_FORMATS as readonly string[]).includes(value)) return value as OutputFormat;
  throw new JoineryError(
    'OUTPUT_FORMAT_INVALID',
    `--output ${JSON.stringify(value)} is not a known output format`,
    `use one of: ${OUTPUT_FORMATS.join(', ')}`,
    { path: '--output', family: 'usage' },
  );
}

/** Serialises `data` as JSON or YAML; `text` is the command's own rendering. */
export async function formatOutput(format: OutputFormat, data: unknown, text: () => string): Promise<string> {
  switch (format) {
    case 'text':
      return text();
    case 'json':
      return `${JSON.stringify(data, null, 2)}\n`;
    case 'yaml': {
      // yaml is CommonJS: its functions are on the default export both under Node and in the CLI bundle
      // (where a dynamic import of a CommonJS chunk has nothing but the default).
      const yaml = (await import('yaml')) as unknown as { default: { stringify: (v: unknown) => string } };
      return yaml.default.stringify(data);
    }
  }
}

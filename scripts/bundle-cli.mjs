#!/usr/bin/env node
// Bundles the CLI (src/cli/main.ts and the modules each command imports lazily) into a few ES modules in
// dist/cli-bundle/ with esbuild. Why: start-up time is a measured goal (npm run bench:cli); loading the
// ~30 compiled modules of a command and the ~60 files of the yaml package one by one costs more than
// loading them as one file each (README, design notes). The tsc output in dist/ stays the library build.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli/main.ts'],
  outdir: 'dist/cli-bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'bundle',
  logLevel: 'warning',
  legalComments: 'linked',
  // CommonJS dependencies (yaml, commander) call require() for Node built-ins.
  banner: { js: "import { createRequire as __joineryRequire } from 'node:module'; const require = __joineryRequire(import.meta.url);" },
});

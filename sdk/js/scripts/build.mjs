#!/usr/bin/env node
// Builds dist/ (`npm run build`): one bundle per module format with its types,
//   index.mjs + index.d.mts (import) and index.cjs + index.d.cts (require).
// `node scripts/build.mjs OUT_DIR` builds elsewhere (test/build.test.mjs compares that with dist/).

import { rename } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'tsup';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function buildTo(outDir) {
  await build({
    entry: { index: path.join(ROOT, 'src/index.ts') },
    tsconfig: path.join(ROOT, 'tsconfig.json'),
    format: ['esm', 'cjs'],
    outExtension: ({ format }) => ({ js: format === 'esm' ? '.mjs' : '.cjs' }),
    dts: true,
    target: 'es2022',
    platform: 'neutral',
    clean: true,
    splitting: false,
    treeshake: true,
    silent: true,
    outDir,
  });
  // tsup names the ESM types after the package type (.d.ts for "type": "module"); the exports map wants .d.mts.
  await rename(path.join(outDir, 'index.d.ts'), path.join(outDir, 'index.d.mts'));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildTo(path.resolve(process.argv[2] ?? path.join(ROOT, 'dist')));
}

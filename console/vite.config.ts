import { defineConfig } from 'vite';

// The build lands inside the Python package, which serves it at / with a strict CSP
// (sentinel/web/console.py): no inline scripts or styles, nothing from another origin.
export default defineConfig({
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: process.env.CONSOLE_OUT_DIR ?? '../sentinel/web/console_dist',
    emptyOutDir: true,
    // Everything as files: a data: URL or inlined asset would need a looser policy.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: 'es2022',
    sourcemap: false,
  },
});

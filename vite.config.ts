/// <reference types="vitest/config" />
// Vite serves the GUI (index.html, src/ui) and runs the CLI (vite-node) and unit tests (Vitest),
// so the same `.wgsl?raw` imports work in the browser, in Node and in tests.
import { defineConfig } from 'vite';

export default defineConfig({
  // data/digits.csv.gz is an asset: imported with ?inline it becomes a base64 data URL.
  assetsInclude: ['**/*.gz'],
  server: { port: 5173, host: '127.0.0.1' },
  build: { target: 'es2022' },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
});

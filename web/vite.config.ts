import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

const gateway = process.env.TRIDENT_GATEWAY ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      '/rest': gateway,
      '/grpc': gateway,
      '/events': gateway,
    },
  },
  build: {
    outDir: 'dist',
    sourcemap: false,
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    restoreMocks: true,
    testTimeout: 30_000,
  },
});

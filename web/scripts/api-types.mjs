// Writes src/api-schema.ts: the TypeScript types of the gateway's OpenAPI document (api/openapi/openapi.json,
// generated from the contract by `make proto`). `node scripts/api-types.mjs --check` fails when it is stale.
import { readFile, writeFile } from 'node:fs/promises';
import openapiTS, { astToString } from 'openapi-typescript';

const SCHEMA = new URL('../../api/openapi/openapi.json', import.meta.url);
const OUTPUT = new URL('../src/api-schema.ts', import.meta.url);
const HEADER = '// Generated from api/openapi/openapi.json by scripts/api-types.mjs (npm run api-types): do not edit.\n\n';

export async function committed() {
  return readFile(OUTPUT, 'utf8').catch(() => '');
}

export async function render() {
  const document = JSON.parse(await readFile(SCHEMA, 'utf8'));
  return HEADER + astToString(await openapiTS(document));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const text = await render();
  if (process.argv.includes('--check')) {
    if ((await committed()) !== text) {
      console.error('src/api-schema.ts is stale: run `npm run api-types` (or `make proto`)');
      process.exit(1);
    }
  } else {
    await writeFile(OUTPUT, text);
  }
}

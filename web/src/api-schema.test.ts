// @vitest-environment node
import { expect, test } from 'vitest';

// @ts-expect-error: a plain ES module script, without type declarations
import { committed, render } from '../scripts/api-types.mjs';

test('the API types are what the gateway OpenAPI document says today', async () => {
  expect(await committed()).toBe(await render());
});

// A JSON body nested thousands deep is refused with a 400 that says so, not
// a 500 "Maximum call stack size exceeded"; brackets inside a string are
// text, not nesting; the fabric goes on applying good requests.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { startWeb, TOKEN } from './web-harness.js';

const AUTH = { Authorization: `Bearer ${TOKEN}` };
const deep = (n: number, open: string, close: string, inner = '1'): string => open.repeat(n) + inner + close.repeat(n);

test('a fault request nested 5,000 deep is a 400 naming the depth; a deep string is no nesting; good requests still go', {
  timeout: 30_000,
}, async (t) => {
  const h = await startWeb(t, { token: TOKEN }, { switched: true, seed: 1 });
  const post = (body: string) => h.post('/api/v1/faults', body, AUTH);
  for (const body of [
    deep(5000, '[', ']'),
    `{"action":"down","link":${deep(5000, '[', ']')}}`,
    `{"action":${deep(2500, '{"a":', '}')}}`,
    `{"action":"isolate","peer":${deep(1200, '[{"x":', '}]')}}`,
  ]) {
    const res = await post(body);
    assert.equal(res.status, 400, body.slice(0, 40));
    assert.match(
      ((await res.json()) as { error: string }).error,
      /^the body nests deeper than 32 levels \(\d+\): send a flatter JSON body$/,
    );
  }
  // Within the limit, and brackets in a string: answered by what they mean.
  const string = await post(JSON.stringify({ command: `${'['.repeat(100)}` }));
  assert.equal(string.status, 400);
  assert.match(((await string.json()) as { error: string }).error, /"command"/);
  const ok = await post(JSON.stringify({ action: 'down', link: `peer:1` }));
  assert.equal(ok.status, 200, await ok.clone().text());
  await h.done();
});

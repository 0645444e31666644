// A client that does not read never holds up the server: it is dropped while
// the others get every event; too many clients are refused.
import { strict as assert } from 'node:assert';
import { connect } from 'node:net';
import { test } from 'node:test';
import { once } from 'node:events';
import { createWebServer } from '../../src/web/index.js';
import { waitFor } from '../helpers/fds.js';
import { EventClient } from './event-client.js';
import { FakeSource } from './fake-source.js';
import { call } from './web-harness.js';

test('an event-stream client that stops reading is dropped; a reading one gets every event', async (t) => {
  const source = new FakeSource();
  const web = createWebServer({ source, port: 0, events: { maxBufferedBytes: 64 * 1024 } });
  await web.listen();
  t.after(() => web.close());
  const stuck = connect(web.address.port, '127.0.0.1');
  await once(stuck, 'connect');
  stuck.write('GET /api/v1/events HTTP/1.1\r\nHost: localhost\r\n\r\n');
  stuck.pause(); // never reads: the kernel buffers fill, then the server's
  const reader = await EventClient.open(web.url);
  await waitFor(
    async () => (await (await call(`${web.url}/metrics`, 'GET')).text()).includes('famez_web_event_clients 2'),
    'both clients attached',
  );
  // Events until the stuck client is dropped (the kernel takes megabytes first).
  const text = 'x'.repeat(8192);
  const metrics = async (): Promise<string> => (await call(`${web.url}/metrics`, 'GET')).text();
  let sent = 0;
  // Bursts of 32 KiB, under the 64 KiB bound, so that the reading client keeps up.
  while (!/^famez_web_event_clients_dropped_total [1-9]/m.test(await metrics())) {
    assert.ok(sent < 100_000, 'the stuck client was dropped within 800 MB');
    for (let i = 0; i < 4; i++) source.emit({ type: 'warning', text: `${sent++} ${text}` });
  }
  assert.match(await metrics(), /^famez_web_event_clients_dropped_total 1$/m);
  assert.match(await metrics(), /^famez_web_event_clients 1$/m);
  await reader.expect('warning', (data) => String(data.text).startsWith(`${sent - 1} `));
  assert.equal(reader.events.length, sent);
  stuck.destroy();
  await reader.close();
});

test('clients beyond the limit get a JSON 503', async (t) => {
  const web = createWebServer({ source: new FakeSource(), port: 0, events: { maxClients: 2 } });
  await web.listen();
  t.after(() => web.close());
  const clients = [await EventClient.open(web.url), await EventClient.open(web.url)];
  const refused = await call(`${web.url}/api/v1/events`, 'GET');
  assert.equal(refused.status, 503);
  assert.match((await refused.json()).error, /too many event-stream clients/);
  await Promise.all(clients.map((client) => client.close()));
});

test('a request that never finishes its headers does not block others', async (t) => {
  const web = createWebServer({ source: new FakeSource(), port: 0 });
  await web.listen();
  t.after(() => web.close());
  const slow = connect(web.address.port, '127.0.0.1');
  await once(slow, 'connect');
  slow.write('GET /api/v1/peers HTTP/1.1\r\nHost: localhost\r\n'); // and nothing more
  const res = await call(`${web.url}/api/v1/peers`, 'GET');
  assert.deepEqual(await res.json(), { peers: [] });
  slow.destroy();
});

// The live page in a real headless Chromium, on a switched fabric of two
// switches: peers appear and disappear as they join and leave, messages land
// in the trace, a link taken down from the page goes down in the router and
// is drawn so, and a screenshot is kept.
import { strict as assert } from 'node:assert';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { topologyFromJson } from '../../src/switching/index.js';
import { waitFor } from '../helpers/fds.js';
import { ROOT } from '../install/package.js';
import type { MailboxPeer } from '../fabric/mailbox-peer.js';
import { openBrowser } from './browser.js';
import { configureLink, startWeb, TOKEN } from './web-harness.js';

const SCREENSHOTS = join(ROOT, 'test-results', 'web');
const TWO_SWITCHES = topologyFromJson({
  switches: ['left', 'right'],
  links: [{ name: 'trunk', between: ['left', 'right'], latencyUs: 200 }],
  peers: ['z01', 'z02', 'z03', 'z04'].map((nodename, i) => ({
    nodename,
    switch: i < 2 ? 'left' : 'right',
    port: (i % 2) + 1,
  })),
});

test('the page follows joins, leaves, messages and faults live; message text only with the token', {
  timeout: 60_000,
}, async (t) => {
  const h = await startWeb(t, { token: TOKEN }, { switched: true, topology: TWO_SWITCHES, seed: 1 });
  const router = h.fabric.router!;
  const browser = await openBrowser();
  t.after(() => browser.close());
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  await page.goto(h.url);
  await page.waitForSelector('[data-id="switch-15"]');
  await page.waitForSelector('#state:text("live")');

  // Peers join; two configure their link as FAME-Z's client does.
  const names = ['z01', 'z02', 'z03', 'z04', 'z05'];
  const peers: MailboxPeer[] = [];
  for (const nodename of names) {
    const peer = await h.peer({ nodename, cclass: nodename === 'z05' ? 'Driverless QEMU' : 'Debugger' });
    peers.push(peer);
    await page.waitForSelector(`[data-id="peer-${peer.id}"]`);
  }
  for (const peer of peers.slice(0, 3)) await configureLink(peer);
  await page.waitForSelector(`[data-id="peer-${peers[2]!.id}"].configured`);
  // Without the token the page shows sizes, not text, and says so.
  await page.waitForSelector('#text-note:has-text("Message text is hidden")');
  await page.waitForSelector('#trace li.message:has-text("z01 (1) → switch: (17 bytes, text hidden)")');
  assert.equal(await page.locator('#trace:has-text("Link RFC")').count(), 0, 'no message text without the token');
  await page.fill('#token', TOKEN);
  await page.dispatchEvent('#token', 'change');
  await page.waitForSelector('#text-note', { state: 'hidden' });
  await page.waitForSelector('#result:text("token taken: message text shown")');
  await peers[3]!.send(peers[3]!.serverId, 'ping');
  await page.waitForSelector('#trace li.message:has-text("z04 (4) → switch: ping")');
  await page.waitForSelector('#trace li.sent:has-text("switch → 4: pong")');
  assert.match(
    (await page.textContent(`[data-id="peer-${peers[0]!.id}"]`)) ?? '',
    /z01.*Debugger.*CID 100 · SID 27 · configured/,
  );

  // One leaves: gone from the graph; one more joins and leaves at once.
  peers[4]!.client.close();
  await page.waitForSelector(`[data-id="peer-${peers[4]!.id}"]`, { state: 'detached' });
  const passing = await h.peer({ nodename: 'z09', cclass: 'Debugger' });
  await page.waitForSelector(`[data-id="peer-${passing.id}"]`);
  passing.client.close();
  await page.waitForSelector(`[data-id="peer-${passing.id}"]`, { state: 'detached' });
  await page.waitForSelector('#trace li.peer-left');

  // The write controls are there with a token; a message sent from the page reaches the port.
  await page.fill('#to', String(peers[3]!.id));
  await page.fill('#text', 'hello from the page');
  await page.click('#send button');
  await peers[3]!.expect(peers[3]!.serverId, 'hello from the page');
  await page.waitForSelector('#result:text("taken by the port")');

  // A message between peers crosses the trunk; the sampled trace shows it.
  await peers[0]!.send(peers[2]!.id, 'across the trunk');
  await peers[2]!.expect(peers[0]!.id, 'across the trunk');
  await page.waitForSelector(
    '#trace li.trace:has-text("z01 (1) → z03 (3) \\"across the trunk\\" via peer:1, trunk, peer:3 (200 µs)")',
  );
  await page.waitForSelector(
    'text.link-label[data-link="trunk"]:has-text("trunk 200 µs") >> tspan.count:text("1 fwd")',
  );

  // Faults from the page: the trunk down, latency on z02's link, z04 isolated; each reaches the router and shows.
  await page.waitForSelector('#fault-link option[value="trunk"]', { state: 'attached' });
  await page.selectOption('#fault-link', 'trunk');
  await page.click('#faults button[data-action="down"]');
  await waitFor(
    () => router.faults().some(([link, faults]) => link === 'trunk' && faults.down),
    'the trunk to go down in the router',
  );
  await page.waitForSelector('line.link.switch-link.down[data-link="trunk"]');
  await page.waitForSelector('#trace li.fault:has-text("fault: link trunk down")');
  await page.waitForSelector('#result:text("applied: link trunk down")');
  await peers[0]!.expect(peers[0]!.serverId, 'UEP Link-Down Link=trunk');
  await page.selectOption('#fault-link', `peer:${peers[1]!.id}`);
  await page.fill('#fault-us', '500');
  await page.click('#faults button[data-action="latency"]');
  await page.waitForSelector(
    `text.link-label.faulty[data-link="peer:${peers[1]!.id}"] >> tspan.what:text("peer:${peers[1]!.id} · +500 µs")`,
  );
  await page.selectOption('#fault-peer', String(peers[3]!.id));
  await page.click('#faults button[data-action="isolate"]');
  await waitFor(
    () => router.faults().some(([link, faults]) => link === `peer:${peers[3]!.id}` && faults.down),
    'z04 to be isolated',
  );
  await page.waitForSelector(`line.link.peer-link.down[data-link="peer:${peers[3]!.id}"]`);
  await page.waitForSelector('#faulty:text("3")');
  const style = await page.$eval('line.link[data-link="trunk"]', (line) => ({
    dash: getComputedStyle(line).strokeDasharray,
    stroke: getComputedStyle(line).stroke,
  }));
  assert.notEqual(style.dash, 'none', 'a link down is dashed');
  assert.equal(style.stroke, 'rgb(255, 107, 107)', 'and red');

  await page.waitForSelector('body[data-settled="true"]');
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = join(SCREENSHOTS, 'page.png');
  await page.screenshot({ path: file });
  t.diagnostic(`screenshot: ${file}`);
  console.log(`screenshot of the page: ${file}`);
  assert.deepEqual(
    errors.filter((e) => !/app\.js\.map/.test(e)),
    [],
  );
  await browser.close();
  await h.done();
});

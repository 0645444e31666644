// The page at load, in a real Chromium, on a switched fabric that already
// has peers: a screenshot taken at once shows every peer and the switch
// (drawn, opaque, inside the viewport), the messages counter starts from the
// API's totals, a nodename a driver writes into its slot after joining shows
// up without any message, and messages between peers travel along their
// links (not at all with prefers-reduced-motion).
import { strict as assert } from 'node:assert';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { ROOT } from '../install/package.js';
import { openBrowser } from './browser.js';
import { configureLink, startWeb } from './web-harness.js';

const SCREENSHOTS = join(ROOT, 'test-results', 'web');

/**
 * Each node group: its id, title, the opacity it is drawn with (its own and its ancestors') and whether it lies in the
 * viewport.
 */
function nodesAsDrawn(page: Page): Promise<Array<{ id: string; title: string; opacity: number; inside: boolean }>> {
  return page.$$eval('g.node', (groups) =>
    groups.map((group) => {
      let opacity = 1;
      for (let element: Element | null = group; element; element = element.parentElement)
        opacity *= Number(getComputedStyle(element).opacity);
      const box = group.getBoundingClientRect();
      const inside =
        box.width > 0 &&
        box.left >= 0 &&
        box.top >= 0 &&
        box.right <= window.innerWidth &&
        box.bottom <= window.innerHeight;
      return {
        id: group.getAttribute('data-id') ?? '',
        title: group.querySelector('text.title')?.textContent ?? '',
        opacity,
        inside,
      };
    }),
  );
}

test('at load the page shows the whole fabric at once; counters from the API; a name written after the join shows; messages travel on their links', {
  timeout: 90_000,
}, async (t) => {
  const h = await startWeb(t, {}, { switched: true });
  const peers = [];
  for (const nodename of ['z01', 'z02', 'z03']) {
    const peer = await h.peer({ nodename, cclass: 'Debugger' });
    await configureLink(peer);
    peers.push(peer);
  }
  const driverless = await h.peer();
  const total = ((await (await h.get('/api/v1/topology')).json()) as { graph: { messages: number } }).graph.messages;
  assert.ok(total >= 9, `the API counts the link messages so far (${total})`);

  const browser = await openBrowser();
  t.after(() => browser.close());
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(h.url);
  await page.waitForSelector(`[data-id="peer-${driverless.id}"]`, { state: 'attached' });
  // At once: no waiting for a layout to settle or a fade to end.
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, 'load.png') });
  const drawn = await nodesAsDrawn(page);
  const ids = ['switch-15', 'switch:switch', ...peers.map((peer) => `peer-${peer.id}`), `peer-${driverless.id}`];
  assert.deepEqual(drawn.map((node) => node.id).sort(), [...ids].sort());
  for (const node of drawn)
    assert.ok(node.opacity > 0 && node.inside, `${node.id} is drawn in view: ${JSON.stringify(node)}`);
  assert.deepEqual(
    drawn
      .filter((node) => /^peer-/.test(node.id))
      .map((node) => node.title)
      .sort(),
    ['peer 4', 'z01', 'z02', 'z03'],
  );
  await page.waitForSelector(`#messages:text("${total}")`);

  // A driver writes its names and sends nothing: the page follows the slot, as /system does.
  driverless.mailbox.setNames(driverless.id, { nodename: 'late-name', cclass: 'Debugger' });
  await page.waitForSelector(`[data-id="peer-${driverless.id}"] text.title:text("late-name")`);
  assert.ok(
    ((await (await h.get('/system')).json()) as { nodes: Array<{ id: string }> }).nodes.some(
      (node) => node.id === 'late-name',
    ),
  );

  // Between peers: a dot travels the links the doorbell crossed; the link's counter moves.
  await peers[0]!.send(peers[1]!.id, 'hop');
  await peers[1]!.expect(peers[0]!.id, 'hop');
  await page.waitForSelector('circle.pulse', { state: 'attached' });
  await page.waitForSelector(`text.link-label[data-link="peer:${peers[0]!.id}"] >> tspan.count:text("1 fwd")`);
  await page.waitForSelector('#trace li.trace:has-text("z01 (1) → z02 (2)")');

  // With reduced motion: drawn the same at once, and nothing moves.
  const still = await browser.context.newPage();
  await still.emulateMedia({ reducedMotion: 'reduce' });
  await still.goto(h.url);
  await still.waitForSelector(`[data-id="peer-${driverless.id}"] text.title:text("late-name")`, { state: 'attached' });
  for (const node of await nodesAsDrawn(still))
    assert.ok(node.opacity > 0 && node.inside, `reduced motion: ${node.id} in view`);
  await still.waitForSelector('#state:text("live")');
  await still.evaluate(() => {
    const page = window as unknown as { pulses: number };
    page.pulses = 0;
    new MutationObserver((records) => {
      for (const record of records)
        page.pulses += [...record.addedNodes].filter((node) => (node as Element).classList?.contains('pulse')).length;
    }).observe(document.getElementById('graph')!, { childList: true, subtree: true });
  });
  await peers[1]!.send(peers[2]!.id, 'hop again');
  await peers[2]!.expect(peers[1]!.id, 'hop again');
  await still.waitForSelector('#trace li.trace:has-text("z02 (2) → z03 (3)")');
  assert.equal(await still.evaluate(() => (window as unknown as { pulses: number }).pulses), 0, 'no travelling dots');
  assert.deepEqual(errors, []);
  await browser.close();
  await h.done();
});

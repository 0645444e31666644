// The live page in a real headless Chromium: peers appear and disappear as
// they join and leave, messages land in the trace, and a screenshot is kept.
import { strict as assert } from 'node:assert';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../install/package.js';
import { openBrowser } from './browser.js';
import { startWeb, TOKEN } from './web-harness.js';

const SCREENSHOTS = join(ROOT, 'test-results', 'web');

test('the page follows joins, leaves and messages live', { timeout: 60_000 }, async (t) => {
  const h = await startWeb(t, { token: TOKEN });
  const browser = await openBrowser();
  t.after(() => browser.close());
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
  await page.goto(h.url);
  await page.waitForSelector('[data-id="switch-15"]');
  await page.waitForSelector('#state:text("live")');

  // Peers join; two configure their link as FAME-Z's client does.
  const names = ['z01', 'z02', 'z03', 'z04', 'z05'];
  const peers = [];
  for (const nodename of names) {
    const peer = await h.peer({ nodename, cclass: nodename === 'z05' ? 'Driverless QEMU' : 'Debugger' });
    peers.push(peer);
    await page.waitForSelector(`[data-id="peer-${peer.id}"]`);
  }
  for (const peer of peers.slice(0, 3)) {
    await peer.send(peer.serverId, 'Link RFC TTC=27us');
    const tag = /Tag=(\d+)/.exec((await peer.expect(peer.serverId, /^CTL-Write /)).body)![1];
    await peer.send(peer.serverId, `Standalone Acknowledgment Tag=${tag},Reason=OK`);
    await peer.expect(peer.serverId, 'Link CTL Peer-Attribute');
  }
  await page.waitForSelector(`[data-id="peer-${peers[2]!.id}"].configured`);
  await peers[3]!.send(peers[3]!.serverId, 'ping');
  await page.waitForSelector('#trace li.message:has-text("z04 (4) → switch: ping")');
  await page.waitForSelector('#trace li.sent:has-text("switch → 4: pong")');
  assert.match(await page.textContent(`[data-id="peer-${peers[0]!.id}"]`) ?? '', /z01.*Debugger.*CID 100 · SID 27 · configured/);

  // One leaves: gone from the graph; one more joins and leaves at once.
  peers[4]!.client.close();
  await page.waitForSelector(`[data-id="peer-${peers[4]!.id}"]`, { state: 'detached' });
  const passing = await h.peer({ nodename: 'z09', cclass: 'Debugger' });
  await page.waitForSelector(`[data-id="peer-${passing.id}"]`);
  passing.client.close();
  await page.waitForSelector(`[data-id="peer-${passing.id}"]`, { state: 'detached' });
  await page.waitForSelector('#trace li.peer-left');

  // The write controls are there with a token; a message sent from the page reaches the port.
  await page.fill('#token', TOKEN);
  await page.fill('#to', String(peers[3]!.id));
  await page.fill('#text', 'hello from the page');
  await page.click('#send button');
  await peers[3]!.expect(peers[3]!.serverId, 'hello from the page');
  await page.waitForSelector('#result:text("taken by the port")');

  await page.waitForSelector('body[data-settled="true"]');
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = join(SCREENSHOTS, 'page.png');
  await page.screenshot({ path: file });
  t.diagnostic(`screenshot: ${file}`);
  console.log(`screenshot of the page: ${file}`);
  assert.deepEqual(errors.filter((e) => !/app\.js\.map/.test(e)), []);
  await browser.close();
  await h.done();
});

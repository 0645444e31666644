// The page's files, from the package itself: the HTML, its compiled script,
// and d3's own bundle from node_modules. Read once, on first use.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PAGE_HTML } from './page/html.js';

export interface Asset {
  type: string;
  body: Buffer;
}

const pageModule = (name: string) => (): Asset => ({
  type: 'text/javascript; charset=utf-8',
  body: readFileSync(new URL(`./page/${name}.js`, import.meta.url)),
});

const files: Record<string, () => Asset> = {
  '/': () => ({ type: 'text/html; charset=utf-8', body: Buffer.from(PAGE_HTML) }),
  '/app.js': pageModule('app'),
  // Modules app.js imports (as ./name.js, so from here).
  '/fault-controls.js': pageModule('fault-controls'),
  '/link-caption.js': pageModule('link-caption'),
  '/graph.js': pageModule('graph'),
  '/canvas.js': pageModule('canvas'),
  '/pulse.js': pageModule('pulse'),
  '/event-reader.js': pageModule('event-reader'),
  // d3's bundle, the whole library in one file that sets window.d3; it sits
  // beside the module d3 exports (its package.json exports no file paths).
  '/d3.min.js': () => ({
    type: 'text/javascript; charset=utf-8',
    body: readFileSync(join(dirname(createRequire(import.meta.url).resolve('d3')), 'd3.min.js')),
  }),
};

const loaded = new Map<string, Asset>();

export const ASSET_PATHS = Object.keys(files);

export function asset(path: string): Asset {
  let found = loaded.get(path);
  if (!found) loaded.set(path, (found = files[path]!()));
  return found;
}

// Writes prebuilds/<platform>-<arch>/famez.<libc>.node with prebuildify: one
// Node-API binary that node-gyp-build loads on any Node.js >= 20 of that
// platform, so installing the package needs no compiler. `npm pack` runs this
// (prepack), so every tarball carries the binary of the machine that packed it.
import { createRequire } from 'node:module';
import { rmSync } from 'node:fs';
import { nodeDir, nodeGyp } from './toolchain.mjs';

const prebuildify = createRequire(import.meta.url)('prebuildify');
process.env.npm_config_nodedir = nodeDir(); // node-gyp reads it: no header download
rmSync('prebuilds', { recursive: true, force: true });
prebuildify(
  {
    napi: true,
    targets: [process.versions.node], // the headers in nodeDir() are this version's
    nodeGyp: nodeGyp(),
    tagLibc: true, // a glibc binary is never picked on musl
    strip: true,
  },
  (error) => {
    if (error) {
      console.error(`famez: prebuild failed: ${error.message}`);
      process.exit(1);
    }
  },
);

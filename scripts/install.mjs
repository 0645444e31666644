// npm's install hook: keep the prebuilt addon if one in prebuilds/ fits and
// loads on this machine, else compile native/ (needs a C compiler, make and
// Python). `npm install --build-from-source` always compiles.
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);

function prebuilt() {
  if (process.env.npm_config_build_from_source === 'true') return undefined;
  process.env.PREBUILDS_ONLY = '1'; // node-gyp-build: skip build/, which may be stale
  try {
    const file = require('node-gyp-build').path(root);
    require(file);
    return file;
  } catch (error) {
    console.error(`famez: no prebuilt addon loads here (${error.message.split('\n')[0]}); compiling one`);
    return undefined;
  }
}

if (!prebuilt()) {
  const result = spawnSync(process.execPath, [fileURLToPath(new URL('build-native.mjs', import.meta.url))], {
    stdio: 'inherit',
    cwd: root,
  });
  process.exit(result.status ?? 1);
}

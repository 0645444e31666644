// Builds native/ with node-gyp against the headers of the Node.js that runs
// this script, so that node-gyp never downloads headers.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

const prefix = dirname(dirname(process.execPath));
const nodedir = process.env.npm_config_nodedir || prefix;
if (!existsSync(join(nodedir, 'include', 'node', 'node_api.h'))) {
  console.error(`famez: no Node.js headers in ${nodedir}/include/node; install them (Debian: apt-get install libnode-dev) or set npm_config_nodedir`);
  process.exit(1);
}
// npm tells its scripts where its node-gyp is; outside npm, use npm's copy.
const gyp = [process.env.npm_config_node_gyp, join(prefix, 'lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js')]
  .find((path) => path && existsSync(path));
if (!gyp) {
  console.error('famez: node-gyp not found; run the build through npm (npm ci or npm run build)');
  process.exit(1);
}
const result = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`], { stdio: 'inherit' });
if (result.error) console.error(`famez: node-gyp failed to start: ${result.error.message}`);
process.exit(result.status ?? 1);

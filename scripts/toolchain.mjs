// Where node-gyp and the Node.js headers are: the headers of the Node.js that
// runs this script (so node-gyp never downloads any) and npm's own node-gyp.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

const prefix = dirname(dirname(process.execPath));

/** The directory whose include/node holds node_api.h; exits if there is none. */
export function nodeDir() {
  const dir = process.env.npm_config_nodedir || prefix;
  if (!existsSync(join(dir, 'include', 'node', 'node_api.h'))) {
    console.error(
      `famez: no Node.js headers in ${dir}/include/node; install them (Debian: apt-get install libnode-dev) or set npm_config_nodedir`,
    );
    process.exit(1);
  }
  return dir;
}

/** node-gyp's script: the one npm names to its scripts, else npm's copy; exits if there is none. */
export function nodeGyp() {
  const gyp = [
    process.env.npm_config_node_gyp,
    join(prefix, 'lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
  ].find((path) => path && existsSync(path));
  if (!gyp) {
    console.error('famez: node-gyp not found; run the build through npm (npm ci or npm run build)');
    process.exit(1);
  }
  return gyp;
}

// Compiles native/ into build/Release/famez.node with node-gyp against the
// headers of the Node.js that runs this script, so that node-gyp never
// downloads headers.
import { spawnSync } from 'node:child_process';
import { nodeDir, nodeGyp } from './toolchain.mjs';

const result = spawnSync(process.execPath, [nodeGyp(), 'rebuild', `--nodedir=${nodeDir()}`], { stdio: 'inherit' });
if (result.error) console.error(`famez: node-gyp failed to start: ${result.error.message}`);
process.exit(result.status ?? 1);

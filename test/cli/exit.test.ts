// Whatever a library leaves running after famez has closed everything (a
// forgotten timer, as nats.js's consumer monitor once was), famez exits: with
// status 1 and a line that says so, so that a test sees the leak and a user's
// famez never hangs after SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { LineProcess } from '../helpers/line-process.js';
import { tempDir } from '../server/helpers.js';
import { MAIN } from './cli.js';

/** Loaded before famez: a timer nobody clears, as a leaking library would leave. */
const LEAK = 'data:text/javascript,setInterval(() => {}, 60000)';

test('famez exits 1 with one line when something still holds it 2 s after closing; 0 when nothing does', {
  timeout: 60_000,
}, async (t) => {
  const dir = tempDir(t);
  for (const leaking of [true, false]) {
    const sock = join(dir, `${leaking}.sock`);
    const args = ['server', '-S', sock, '-f', join(dir, `${leaking}.img`), '-l', '1M'];
    const famez = new LineProcess(t, 'famez', process.execPath, [
      ...(leaking ? ['--import', LEAK] : []),
      MAIN,
      ...args,
    ]);
    await famez.line(/listening/);
    famez.child.kill('SIGTERM');
    const { code } = await famez.exit(10_000);
    const said = famez.stderr.filter((line) => line.includes('still running 2 s after closing'));
    assert.equal(code, leaking ? 1 : 0, famez.stderr.join('\n'));
    assert.equal(said.length, leaking ? 1 : 0, famez.stderr.join('\n'));
  }
});

// Preloaded into every test file's process (npm test: node --test --import):
// a test file must leave nothing in /dev/shm. Names the tests give shm objects
// carry the test process's pid, so an object left behind is told from those of
// other runs on the same machine: one that appears with this pid in its name
// and is still there at exit fails the file, naming it.
import { readdirSync } from 'node:fs';

const SHM = '/dev/shm';

/** The /dev/shm names that hold `pid` as a whole number. */
export function namesWithPid(pid: number): string[] {
  const token = new RegExp(`(^|\\D)${pid}(\\D|$)`);
  try {
    return readdirSync(SHM).filter((name) => token.test(name));
  } catch {
    return [];
  }
}

// Only in a test file's process (the runner itself runs no tests).
if (process.env.NODE_TEST_CONTEXT !== undefined) {
  const before = new Set(namesWithPid(process.pid));
  process.on('exit', () => {
    const left = namesWithPid(process.pid).filter((name) => !before.has(name));
    if (left.length === 0) return;
    process.stderr.write(
      `this test file left ${left.map((name) => `${SHM}/${name}`).join(', ')}: remove what a test makes (t.after)\n`,
    );
    process.exitCode = 1;
  });
}

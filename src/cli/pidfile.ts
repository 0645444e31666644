// The pid file: written atomically (a new file renamed into place, so no
// reader sees half a pid and no symlink at the path is followed), removed
// at exit only if it still holds our pid.
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';

export function writePidFile(path: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${process.pid}\n`, { flag: 'wx', mode: 0o644 });
  try {
    renameSync(temporary, path);
  } catch (error) {
    unlinkSync(temporary);
    throw error;
  }
}

export function removePidFile(path: string): void {
  try {
    if (readFileSync(path, 'utf8').trim() === String(process.pid)) unlinkSync(path);
  } catch {
    // gone already
  }
}

// One lab per state directory: its pid file is taken exclusively, so a second
// lab on the same paths is refused before it touches anything; `famez lab
// down` signals the pid it names and waits for the lab to be gone.
import { mkdirSync, openSync, readdirSync, readFileSync, rmSync, unlinkSync, writeSync, closeSync } from 'node:fs';
import path from 'node:path';
import { labFiles } from './paths.js';

export class LabError extends Error {
  override name = 'LabError';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid in the lab's pid file, if a lab is running there. */
export function runningLab(dir: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(labFiles(dir).pidFile, 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
}

/** Takes the state directory for this process; refuses when a live lab holds it. A dead lab's leftovers are cleared. */
export function claimLabDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { pidFile } = labFiles(dir);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(pidFile, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new LabError(`cannot write ${pidFile}: ${(error as Error).message}`);
    }
    const pid = runningLab(dir);
    if (pid !== undefined) throw new LabError(`a lab is already running in ${dir} (pid ${pid}): stop it with famez lab down, or use another --dir`);
    for (const name of readdirSync(dir)) rmSync(path.join(dir, name), { recursive: true, force: true });
  }
  throw new LabError(`cannot take ${pidFile}: another lab is starting there`);
}

/** Removes the state directory (the lab's last act). */
export function releaseLabDir(dir: string): void {
  try {
    unlinkSync(labFiles(dir).pidFile);
  } catch { /* gone */ }
  rmSync(dir, { recursive: true, force: true });
}

/** Stops the lab running in `dir`: SIGTERM, then waits until its process is gone. */
export async function stopLab(dir: string, timeoutMs = 60_000): Promise<number> {
  const pid = runningLab(dir);
  if (pid === undefined) throw new LabError(`no lab is running in ${dir}`);
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) throw new LabError(`the lab (pid ${pid}) is still running after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return pid;
}

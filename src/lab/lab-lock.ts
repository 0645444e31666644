// One lab per state directory: its pid file is taken exclusively, so a second
// lab on the same paths is refused before it touches anything; `famez lab
// down` signals the pid it names and waits for the lab to be gone. A marker
// file says a directory is a lab's, and the lab removes only its own files
// (and the directory only when it made it): `--dir .` must never cost a file.
import {
  closeSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import path from 'node:path';
import { labFiles, labStateDir } from './paths.js';

/** The file that makes a directory a lab state directory; it says whether the lab made the directory. */
export const LAB_MARKER = '.famez-lab';
const MADE_BY_LAB = 'made by famez lab\n';
const ADOPTED_BY_LAB = 'used by famez lab\n';
/** The files a lab makes in its state directory (see labFiles). */
const LAB_FILE = /^(lab\.pid|fabric\.sock|mailbox|lab\d+\.(console|log))$/;

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

function statOrUndefined(file: string): Stats | undefined {
  try {
    return lstatSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new LabError(`cannot look at ${file}: ${(error as Error).message}`);
  }
}

/**
 * The default state directory is in a shared place (/tmp): refused when it is
 * a symlink, not the user's, or open to others (someone else may have made it).
 */
export function checkDefaultStateDir(dir: string, uid = process.getuid?.() ?? 0): void {
  const stats = statOrUndefined(dir);
  if (!stats) return;
  const fix = `remove it, or give another with --dir`;
  if (stats.isSymbolicLink()) throw new LabError(`${dir} is a symlink, not the lab's state directory: ${fix}`);
  if (!stats.isDirectory()) throw new LabError(`${dir} is not a directory: ${fix}`);
  if (stats.uid !== uid) throw new LabError(`${dir} belongs to uid ${stats.uid}, not to you (uid ${uid}): ${fix}`);
  if ((stats.mode & 0o777) !== 0o700)
    throw new LabError(
      `${dir} has mode 0${(stats.mode & 0o777).toString(8)}, not 0700: chmod 700 it if it is yours, or ${fix}`,
    );
}

function isDefaultDir(dir: string): boolean {
  return path.resolve(dir) === path.resolve(labStateDir());
}

/** Makes `dir` a lab state directory: a new one, an empty one, or one with our marker; anything else is refused. */
function markLabDir(dir: string): void {
  if (isDefaultDir(dir)) checkDefaultStateDir(dir);
  const stats = statOrUndefined(dir);
  const marker = path.join(dir, LAB_MARKER);
  if (stats && !stats.isDirectory())
    throw new LabError(`--dir ${dir} is not a directory: give a new or empty directory`);
  if (stats && statOrUndefined(marker)) return;
  if (stats && readdirSync(dir).length > 0) {
    throw new LabError(
      `--dir ${dir} is not a lab state directory (no ${LAB_MARKER} in it) and not empty: give a new or empty directory`,
    );
  }
  if (!stats) mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    const fd = openSync(marker, 'wx', 0o600);
    writeSync(fd, stats ? ADOPTED_BY_LAB : MADE_BY_LAB);
    closeSync(fd);
  } catch (error) {
    throw new LabError(`cannot write ${marker}: ${(error as Error).message}`);
  }
}

/** Removes the files a lab makes in `dir`, and nothing else. */
function removeLabFiles(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names.filter((n) => LAB_FILE.test(n))) {
    try {
      unlinkSync(path.join(dir, name));
    } catch {
      /* gone, or not a file: left alone */
    }
  }
}

/** Takes the state directory for this process; refuses when a live lab holds it. A dead lab's own files are cleared. */
export function claimLabDir(dir: string): void {
  markLabDir(dir);
  const { pidFile } = labFiles(dir);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(pidFile, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new LabError(`cannot write ${pidFile}: ${(error as Error).message}`);
    }
    const pid = runningLab(dir);
    if (pid !== undefined)
      throw new LabError(
        `a lab is already running in ${dir} (pid ${pid}): stop it with famez lab down, or use another --dir`,
      );
    removeLabFiles(dir);
  }
  throw new LabError(`cannot take ${pidFile}: another lab is starting there`);
}

/** Removes the lab's files, its marker, and the directory if the lab made it and nothing else is in it (the lab's last act). */
export function releaseLabDir(dir: string): void {
  removeLabFiles(dir);
  const marker = path.join(dir, LAB_MARKER);
  let made = false;
  try {
    made = readFileSync(marker, 'utf8') === MADE_BY_LAB;
    unlinkSync(marker);
  } catch {
    /* gone */
  }
  if (!made) return;
  try {
    rmdirSync(dir);
  } catch {
    /* something of someone else's is in it: kept */
  }
}

/** Stops the lab running in `dir`: SIGTERM, then waits until its process is gone. */
export async function stopLab(dir: string, timeoutMs = 60_000): Promise<number> {
  if (isDefaultDir(dir)) checkDefaultStateDir(dir);
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

// One lab per state directory: its pid file is taken exclusively, so a second
// lab on the same paths is refused before it touches anything; `famez lab
// down` signals the process it names (pid and start time checked) and waits
// for the lab to be gone, or stops the guests of a lab that died. A marker
// file says a directory is a lab's, and the lab removes only its own files
// (and the directory only when it made it): `--dir .` must never cost a file.
// The directory and every file in it must be the user's: another user who
// could swap the pid file could have famez signal any process.
import {
  closeSync,
  constants,
  fstatSync,
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
import { liveProcess, processId, writeProcessId } from './process-id.js';

/** The file that makes a directory a lab state directory; it says whether the lab made the directory. */
export const LAB_MARKER = '.famez-lab';
const MADE_BY_LAB = 'made by famez lab\n';
const ADOPTED_BY_LAB = 'used by famez lab\n';
/** The files a lab makes in its state directory (see labFiles). */
const LAB_FILE = /^(lab\.pid|fabric\.sock|mailbox|lab\d+\.(console|log|pid))$/;
/** A guest's pid file (its QEMU's pid and start time). */
const GUEST_PID = /^lab\d+\.pid$/;

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

/** The pid in the lab's pid file, if that lab is running there (same pid, same start time). */
export function runningLab(dir: string): number | undefined {
  return liveProcess(labFiles(dir).pidFile)?.pid;
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
 * Checks a state directory through its open fd (the directory checked is the
 * one used; O_NOFOLLOW: not a symlink): the user's, and for the default one (in
 * a shared place such as /tmp) mode 0700, for a --dir writable by no one else.
 */
export function checkStateDir(dir: string, isDefault: boolean, uid = process.getuid?.() ?? 0): void {
  const fix = isDefault ? 'remove it, or give another with --dir' : 'give a directory of your own';
  let fd: number;
  try {
    fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || statOrUndefined(dir)?.isSymbolicLink())
      throw new LabError(`${dir} is a symlink, not the lab's state directory: ${fix}`);
    if (code === 'ENOTDIR') throw new LabError(`${dir} is not a directory: ${fix}`);
    throw new LabError(`cannot open ${dir}: ${(error as Error).message}`);
  }
  let stats: Stats;
  try {
    stats = fstatSync(fd);
  } finally {
    closeSync(fd);
  }
  const mode = stats.mode & 0o777;
  if (stats.uid !== uid) throw new LabError(`${dir} belongs to uid ${stats.uid}, not to you (uid ${uid}): ${fix}`);
  if (isDefault ? mode !== 0o700 : (mode & 0o022) !== 0)
    throw new LabError(
      `${dir} has mode 0${mode.toString(8)}, ${isDefault ? 'not 0700' : 'writable by others'}: chmod 700 it if it is yours, or ${fix}`,
    );
}

/** Refuses a state directory holding a file of another user's (it could stand for the lab's pid file or socket). */
function checkFilesOwned(dir: string, uid = process.getuid?.() ?? 0): void {
  for (const name of readdirSync(dir)) {
    const stats = statOrUndefined(path.join(dir, name));
    if (stats && stats.uid !== uid)
      throw new LabError(
        `${path.join(dir, name)} belongs to uid ${stats.uid}, not to you (uid ${uid}): the lab's directory must hold only your files: remove it, or give another --dir`,
      );
  }
}

function isDefaultDir(dir: string): boolean {
  return path.resolve(dir) === path.resolve(labStateDir());
}

/** Makes `dir` a lab state directory: a new one, an empty one, or one with our marker; anything else is refused. */
function markLabDir(dir: string): void {
  let made = false;
  try {
    mkdirSync(path.dirname(dir), { recursive: true, mode: 0o700 });
    // Not -p: a directory someone else made first is an EEXIST, checked below.
    mkdirSync(dir, { mode: 0o700 });
    made = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
      throw new LabError(`cannot make ${dir}: ${(error as Error).message}: make its parent, or give another --dir`);
  }
  checkStateDir(dir, isDefaultDir(dir));
  const marker = path.join(dir, LAB_MARKER);
  if (!made) {
    checkFilesOwned(dir);
    if (statOrUndefined(marker)) return;
    if (readdirSync(dir).length > 0) {
      throw new LabError(
        `--dir ${dir} is not a lab state directory (no ${LAB_MARKER} in it) and not empty: give a new or empty directory`,
      );
    }
  }
  try {
    const fd = openSync(marker, 'wx', 0o600);
    writeSync(fd, made ? MADE_BY_LAB : ADOPTED_BY_LAB);
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
  const uid = process.getuid?.() ?? 0;
  for (const name of names.filter((n) => LAB_FILE.test(n))) {
    try {
      if (lstatSync(path.join(dir, name)).uid === uid) unlinkSync(path.join(dir, name));
    } catch {
      /* gone, or not a file: left alone */
    }
  }
}

/**
 * Takes the state directory for this process; refuses when a live lab holds
 * it, naming `down`, the stop command as the user can type it. A dead lab's own files are cleared.
 */
export function claimLabDir(dir: string, down = 'famez lab down'): void {
  markLabDir(dir);
  const { pidFile } = labFiles(dir);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeProcessId(pidFile, processId(process.pid)!);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new LabError(`cannot write ${pidFile}: ${(error as Error).message}`);
    }
    const pid = runningLab(dir);
    if (pid !== undefined)
      throw new LabError(`a lab is already running in ${dir} (pid ${pid}): stop it with ${down}, or use another --dir`);
    removeLabFiles(dir);
  }
  throw new LabError(`cannot take ${pidFile}: another lab is starting there`);
}

/**
 * Removes the lab's files, its marker, and the directory if the lab made it and nothing else is in it (the lab's last
 * act).
 */
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

/** Records a guest's QEMU (pid and start time), for `famez lab down` after the lab died. */
export function recordGuest(dir: string, name: string, pid: number | undefined): void {
  const id = pid === undefined ? undefined : processId(pid);
  if (id) writeProcessId(labFiles(dir).guestPidFile(name), id);
}

/** What `famez lab down` stopped: the lab (its pid), or the guests a dead lab left. */
export type Stopped = { lab: number } | { orphans: number };

/**
 * Stops the lab running in `dir`: SIGTERM, then waits until its process is
 * gone. When the lab died, kills the guests it left (each checked by its start
 * time) and removes the lab's files.
 */
export async function stopLab(dir: string, timeoutMs = 60_000): Promise<Stopped> {
  if (!statOrUndefined(dir)) throw new LabError(`no lab is running in ${dir}`);
  checkStateDir(dir, isDefaultDir(dir));
  checkFilesOwned(dir);
  const pid = runningLab(dir);
  if (pid === undefined) return stopOrphans(dir);
  process.kill(pid, 'SIGTERM');
  await waitGone(pid, timeoutMs, `the lab (pid ${pid})`);
  return { lab: pid };
}

async function stopOrphans(dir: string): Promise<Stopped> {
  const guests = readdirSync(dir)
    .filter((name) => GUEST_PID.test(name))
    .flatMap((name) => liveProcess(path.join(dir, name)) ?? []);
  if (guests.length === 0) throw new LabError(`no lab is running in ${dir}`);
  for (const guest of guests) process.kill(guest.pid, 'SIGKILL');
  for (const guest of guests) await waitGone(guest.pid, 10_000, `guest pid ${guest.pid}`);
  releaseLabDir(dir);
  return { orphans: guests.length };
}

async function waitGone(pid: number, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) throw new LabError(`${what} is still running after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// A process named in a pid file is identified by its pid and its start time
// (field 22 of /proc/PID/stat, in clock ticks since boot): a pid that was
// reused since the file was written belongs to another process, and famez
// never signals it.
import { closeSync, constants, openSync, readFileSync, writeSync } from 'node:fs';

export interface ProcessId {
  pid: number;
  start: string;
}

/** The start time of `pid`, or undefined when there is no such process. */
export function startTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

/** The identity of a running process (undefined when it is gone). */
export function processId(pid: number): ProcessId | undefined {
  const start = startTime(pid);
  return start === undefined ? undefined : { pid, start };
}

export function formatProcessId(id: ProcessId): string {
  return `${id.pid} ${id.start}\n`;
}

/** The process a pid file names (pid and start time), if that process still runs. */
export function liveProcess(file: string): ProcessId | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const [pidText, start] = text.trim().split(' ');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0 || start === undefined) return undefined;
  return startTime(pid) === start ? { pid, start } : undefined;
}

/** Writes a new pid file (O_EXCL, O_NOFOLLOW, 0600) naming `id`. */
export function writeProcessId(file: string, id: ProcessId): void {
  const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, formatProcessId(id));
  } finally {
    closeSync(fd);
  }
}

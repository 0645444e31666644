// Reaching a running lab's guests as a user does: typing on a console socket,
// reading its log, and finding the processes that carry the lab's paths.
import { connect } from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Types one line on a guest's serial console (its unix socket). */
export function typeOn(consolePath: string, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(consolePath, () => socket.end(`${line}\n`, () => resolve()));
    socket.on('error', reject);
  });
}

/** Everything guest `name` has printed on its console so far. */
export function consoleLog(dir: string, name: string): string {
  try {
    return readFileSync(path.join(dir, `${name}.log`), 'latin1').replace(/\r/g, '');
  } catch {
    return '';
  }
}

/** Processes whose command line names `text` (QEMU's carries the lab's paths). */
export function processesNaming(text: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    })
    .map(Number)
    .filter((pid) => pid !== process.pid);
}

/** The table's rows, split into cells: port, nodename, CID, link, console. */
export function tableRows(stdout: readonly string[]): string[][] {
  return stdout.filter((line) => /^\d+\s+(\S+\s+)?(\S+-)?lab\d/.test(line)).map((line) => line.split(/\s+/));
}

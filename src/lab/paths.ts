// Where the lab keeps things: its state (sockets, consoles, logs, pid file)
// for as long as it runs, and the guest image, built once and cached.
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';

type Env = Readonly<Record<string, string | undefined>>;

/** $XDG_RUNTIME_DIR/famez-lab, else /tmp/famez-lab-<uid>. */
export function labStateDir(env: Env = process.env, uid = process.getuid?.() ?? 0): string {
  return env.XDG_RUNTIME_DIR ? path.join(env.XDG_RUNTIME_DIR, 'famez-lab') : path.join(tmpdir(), `famez-lab-${uid}`);
}

/** $XDG_CACHE_HOME/famez/lab-guest, else ~/.cache/famez/lab-guest. */
export function guestCacheDir(env: Env = process.env): string {
  return path.join(env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'famez', 'lab-guest');
}

/** The default file behind --fam: $XDG_DATA_HOME/famez/lab-fam.img, else ~/.local/share/famez/lab-fam.img. */
export function defaultFamFile(env: Env = process.env): string {
  return path.join(env.XDG_DATA_HOME || path.join(homedir(), '.local', 'share'), 'famez', 'lab-fam.img');
}

/** The files of one lab, all inside its state directory. */
export function labFiles(dir: string) {
  return {
    pidFile: path.join(dir, 'lab.pid'),
    socket: path.join(dir, 'fabric.sock'),
    mailbox: path.join(dir, 'mailbox'),
    console: (name: string) => path.join(dir, `${name}.console`),
    log: (name: string) => path.join(dir, `${name}.log`),
    /** A guest's QEMU pid and start time. */
    guestPidFile: (name: string) => path.join(dir, `${name}.pid`),
  };
}

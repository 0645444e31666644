/**
 * End-to-end test harness: boots tiny QEMU guests (Debian kernel + static busybox
 * initramfs, see test/e2e/guest/) whose `ivshmem-doorbell` device connects to an
 * ivshmem server socket, runs a list of steps in the guest and parses what the
 * guest reports on its serial console into typed events.
 *
 *   const image = await ensureGuest();                 // builds once, then cached
 *   const g = startGuest({ socket, vectors: 4, steps: [{ op: 'pub', off: 0 }, { op: 'wait' }] });
 *   const ready = await g.waitFor('ready');            // ready.id = the peer id
 *   const w = await g.waitFor('wait');                 // w.pending = [3]
 *   await g.finished();                                // guest powered off cleanly
 *
 * Console line format (one per result; values never contain spaces):
 *   FAMEZ id=<peer id or ?> <event> key=value ...
 * See test/e2e/guest/init.sh for the steps and events.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';

// ------------------------------------------------------------------ steps

/** High 16 bits of the word a `pub` step writes (ASCII "FZ"); low 16 bits = peer id. */
export const PUB_MAGIC = 0x465a0000;

/** A peer id, or `@OFF`: the id that another guest published (`pub`) at shm offset OFF. */
export type PeerRef = number | `@${number}`;

/** One thing for the guest to do. Offsets are 4-byte aligned byte offsets into the shared memory. */
export type GuestStep =
  /** Write PUB_MAGIC | my id at `off` (a rendezvous: also says "my doorbell is live"). */
  | { op: 'pub'; off: number }
  /** Write the 32-bit `val` at `off`. */
  | { op: 'write'; off: number; val: number }
  /** Report the 32-bit value at `off`. */
  | { op: 'read'; off: number }
  /** Wait until shm[off] == val (guest default 30000 ms). */
  | { op: 'waitmem'; off: number; val: number; timeoutMs?: number }
  /** Ring `vector` (default 0) of `peer`; for `@OFF`, wait up to `timeoutMs` (default 30000) for the pub. */
  | { op: 'ring'; peer: PeerRef; vector?: number; timeoutMs?: number }
  /** Wait for a doorbell on any of my vectors (guest default 30000 ms). */
  | { op: 'wait'; timeoutMs?: number }
  | { op: 'sleep'; ms: number };

function checkUint(what: string, v: number, max = 0xffffffff): string {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`guest step: bad ${what} ${v}`);
  return String(v);
}

function checkOff(v: number): string {
  if (!Number.isInteger(v) || v < 0 || v % 4 !== 0) {
    throw new RangeError(`guest step: offset ${v} is not a non-negative multiple of 4`);
  }
  return String(v);
}

/** Encodes one step as the guest's `op:arg:arg` text. Strings are passed through (checked loosely). */
export function encodeStep(step: GuestStep | string): string {
  if (typeof step === 'string') {
    if (!/^[a-z]+(:@?(0x[0-9a-fA-F]+|[0-9]+))*$/.test(step)) throw new RangeError(`guest step: bad step '${step}'`);
    return step;
  }
  const opt = (v: number | undefined) => (v === undefined ? [] : [checkUint('timeout', v)]);
  switch (step.op) {
    case 'pub':
    case 'read':
      return [step.op, checkOff(step.off)].join(':');
    case 'write':
      return ['write', checkOff(step.off), checkUint('value', step.val)].join(':');
    case 'waitmem':
      return ['waitmem', checkOff(step.off), checkUint('value', step.val), ...opt(step.timeoutMs)].join(':');
    case 'ring': {
      let peer: string;
      if (typeof step.peer === 'number') peer = checkUint('peer', step.peer, 0xffff);
      else {
        if (!/^@[0-9]+$/.test(step.peer)) throw new RangeError(`guest step: bad peer '${step.peer}'`);
        peer = '@' + checkOff(Number(step.peer.slice(1)));
      }
      const parts = ['ring', peer, checkUint('vector', step.vector ?? 0, 0xff)];
      if (step.timeoutMs !== undefined) {
        if (typeof step.peer === 'number') throw new RangeError('guest step: ring timeoutMs needs an @OFF peer');
        parts.push(checkUint('timeout', step.timeoutMs));
      }
      return parts.join(':');
    }
    case 'wait':
      return ['wait', ...opt(step.timeoutMs)].join(':');
    case 'sleep':
      return ['sleep', checkUint('sleep', step.ms)].join(':');
  }
}

/** Linux caps the kernel command line at 2048 bytes on x86. */
const MAX_CMDLINE = 2047;

/** The kernel command line for a list of steps. */
export function kernelCommandLine(steps: ReadonlyArray<GuestStep | string> = []): string {
  const base = 'console=ttyS0 quiet panic=-1';
  const line = steps.length ? `${base} famez=${steps.map(encodeStep).join(',')}` : base;
  if (line.length > MAX_CMDLINE)
    throw new RangeError(`guest steps too long for the kernel command line (${line.length} bytes)`);
  return line;
}

// ------------------------------------------------------------------ events

interface EventBase {
  /** The guest's peer id (its IVPosition register); null before it is known ("id=?"). */
  id: number | null;
  /** The console line, cleaned ("FAMEZ id=..."). */
  line: string;
  /** All key=value pairs of the line, raw. */
  fields: Record<string, string>;
  /** Set by startGuest: ms from QEMU's start to when the harness read the line. */
  atMs?: number;
}
export interface ReadyEvent extends EventBase {
  event: 'ready';
  dev: string;
  bar0: number;
  bar2: number;
  /** Shared memory size (BAR2) in bytes. */
  size: number;
  /** MSI-X vectors of the device. */
  vectors: number;
  uptimeMs: number;
}
export interface PubEvent extends EventBase {
  event: 'pub';
  off: number;
  val: number;
}
export interface WriteEvent extends EventBase {
  event: 'write';
  off: number;
  val: number;
}
export interface ReadEvent extends EventBase {
  event: 'read';
  off: number;
  val: number;
}
export interface WaitmemEvent extends EventBase {
  event: 'waitmem';
  off: number;
  want: number;
  /** The last value read. */
  val: number;
  ok: boolean;
  afterMs: number;
}
export interface RingEvent extends EventBase {
  event: 'ring';
  peer: number;
  vector: number;
}
export interface WaitEvent extends EventBase {
  event: 'wait';
  /** A doorbell arrived (false: timed out). */
  ok: boolean;
  /** The vectors that were pending, ascending (empty on timeout). */
  pending: number[];
  pendingMask: bigint;
  afterMs: number;
}
export interface SleepEvent extends EventBase {
  event: 'sleep';
  ms: number;
}
export interface DoneEvent extends EventBase {
  event: 'done';
  uptimeMs: number;
}
export interface ErrorEvent extends EventBase {
  event: 'error';
  /** e.g. no-ivshmem-device, bad-offset, no-peer-published, bad-step. */
  reason: string;
}
export type GuestEvent =
  | ReadyEvent
  | PubEvent
  | WriteEvent
  | ReadEvent
  | WaitmemEvent
  | RingEvent
  | WaitEvent
  | SleepEvent
  | DoneEvent
  | ErrorEvent;
export type GuestEventName = GuestEvent['event'];

const LINE_RE = /^FAMEZ id=([0-9]+|\?) ([a-z]+)((?: [a-z][a-z0-9_]*=\S*)*)$/;
// CSI sequences (ESC [ ...), other two-byte escapes (ESC c, ...) and control characters but tab.
// eslint-disable-next-line no-control-regex
const ESCAPES_RE = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-~]|[\x00-\x08\x0b-\x1f\x7f]/g;

/**
 * Parses one console line into an event; undefined for anything else (kernel
 * messages, firmware escape codes, garbled lines). The FAMEZ part may follow
 * other text on the same line (the first one is glued to SeaBIOS escape codes).
 */
export function parseLine(raw: string): GuestEvent | undefined {
  const clean = raw.replace(ESCAPES_RE, '');
  const at = clean.lastIndexOf('FAMEZ id=');
  if (at < 0) return undefined;
  const line = clean.slice(at).trimEnd();
  const m = LINE_RE.exec(line);
  if (!m) return undefined;
  const fields: Record<string, string> = {};
  for (const kv of m[3]!.trim().split(' ')) {
    if (!kv) continue;
    const eq = kv.indexOf('=');
    fields[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const base: EventBase = { id: m[1] === '?' ? null : Number(m[1]), line, fields };
  const n = (key: string): number => {
    const v = fields[key];
    const x = v === undefined || v === '' ? NaN : Number(v);
    if (!Number.isFinite(x)) throw new Error(`missing or bad ${key}`);
    return x;
  };
  const s = (key: string): string => {
    const v = fields[key];
    if (v === undefined) throw new Error(`missing ${key}`);
    return v;
  };
  try {
    switch (m[2]) {
      case 'ready':
        return {
          ...base,
          event: 'ready',
          dev: s('dev'),
          bar0: n('bar0'),
          bar2: n('bar2'),
          size: n('size'),
          vectors: n('vectors'),
          uptimeMs: n('uptime_ms'),
        };
      case 'pub':
      case 'write':
      case 'read':
        return { ...base, event: m[2], off: n('off'), val: n('val') };
      case 'waitmem':
        return {
          ...base,
          event: 'waitmem',
          off: n('off'),
          want: n('want'),
          val: n('val'),
          ok: s('result') === 'ok',
          afterMs: n('after_ms'),
        };
      case 'ring':
        return { ...base, event: 'ring', peer: n('peer'), vector: n('vector') };
      case 'wait': {
        const mask = BigInt.asUintN(64, BigInt(s('pending')));
        const pending: number[] = [];
        for (let v = 0; v < 64; v++) if ((mask >> BigInt(v)) & 1n) pending.push(v);
        return {
          ...base,
          event: 'wait',
          ok: s('result') === 'irq',
          pending,
          pendingMask: mask,
          afterMs: n('after_ms'),
        };
      }
      case 'sleep':
        return { ...base, event: 'sleep', ms: n('ms') };
      case 'done':
        return { ...base, event: 'done', uptimeMs: n('uptime_ms') };
      case 'error':
        return {
          ...base,
          event: 'error',
          reason: Object.entries(fields)
            .map(([k, v]) => (k === 'reason' ? v : `${k}=${v}`))
            .join(' '),
        };
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}

/** Parses a whole console capture (any mix of \r\n, \n, escape codes) into events. */
export function parseConsole(text: string): GuestEvent[] {
  const events: GuestEvent[] = [];
  for (const raw of text.split('\n')) {
    const e = parseLine(raw);
    if (e) events.push(e);
  }
  return events;
}

// ------------------------------------------------------------------ image

export interface GuestImage {
  kernel: string;
  initrd: string;
}

/** The repository root: the nearest directory above this file whose package.json names "famez". */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'famez') return dir;
      } catch {
        /* keep looking */
      }
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error('famez e2e: cannot find the repository root (package.json named famez)');
    dir = up;
  }
}

/** Where the guest image is built: $FAMEZ_GUEST_DIR or <repo>/node_modules/.cache/famez-guest. */
export function guestCacheDir(): string {
  return process.env.FAMEZ_GUEST_DIR || path.join(repoRoot(), 'node_modules', '.cache', 'famez-guest');
}

function cachedImage(): GuestImage | undefined {
  const dir = guestCacheDir();
  const image = { kernel: path.join(dir, 'vmlinuz'), initrd: path.join(dir, 'initrd.gz') };
  return existsSync(image.kernel) && existsSync(image.initrd) ? image : undefined;
}

function onPath(cmd: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (!dir) continue;
    try {
      accessSync(path.join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      /* next */
    }
  }
  return false;
}

export const QEMU = 'qemu-system-x86_64';

/** For `test(..., { skip })`: FAMEZ_E2E=0 in the environment leaves out the tests that run QEMU. */
export const skipE2e: string | false = process.env.FAMEZ_E2E === '0' ? 'FAMEZ_E2E=0' : false;

/**
 * Whether e2e guests can run here (cheap, synchronous). Tests should skip with
 * `reason` when not ok. FAMEZ_E2E=0 in the environment turns them off.
 */
export function guestAvailable(): { ok: boolean; reason?: string } {
  if (process.env.FAMEZ_E2E === '0') return { ok: false, reason: 'FAMEZ_E2E=0' };
  if (process.platform !== 'linux') return { ok: false, reason: `e2e guests need Linux, not ${process.platform}` };
  if (!onPath(QEMU)) return { ok: false, reason: `${QEMU} not on PATH (apt-get install qemu-system-x86)` };
  if (!onPath('bash')) return { ok: false, reason: 'bash not on PATH' };
  if (cachedImage()) return { ok: true };
  for (const cmd of ['apt-get', 'apt-cache', 'dpkg-deb']) {
    if (!onPath(cmd)) return { ok: false, reason: `${cmd} not on PATH: the guest kernel comes from a Debian package` };
  }
  for (const cmd of ['cpio', 'gzip', 'flock']) {
    if (!onPath(cmd)) return { ok: false, reason: `${cmd} not on PATH (needed to build the guest initrd)` };
  }
  if (!process.env.BUSYBOX && !existsSync('/bin/busybox')) {
    return { ok: false, reason: '/bin/busybox missing (apt-get install busybox-static)' };
  }
  return { ok: true };
}

/**
 * Registers a test file's hooks: the guest built (or found) before its tests,
 * failing rather than skipping when QEMU is missing, unless FAMEZ_E2E=0; and a
 * scratch folder (returned) removed after them.
 */
export function useGuests(prefix = 'famez-e2e-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  before(async () => {
    if (skipE2e) return;
    const available = guestAvailable();
    if (!available.ok) throw new Error(`end-to-end tests need QEMU and the test guest: ${available.reason}`);
    await ensureGuest();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Runs one of the tests' build scripts (`bash SCRIPT OUTDIR`); rejects with
 * its output when it fails, naming `what` was being built.
 */
export function runBuildScript(script: string, outDir: string, what: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const child = spawn('bash', [script, outDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', (err) => reject(new Error(`famez tests: cannot run ${script}: ${err.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(`famez tests: ${what} build failed (${signal ?? `exit ${code}`}): ${out.trim() || 'no output'}`),
        );
    });
  });
}

let building: Promise<GuestImage> | undefined;

/**
 * Builds (or finds cached) the guest kernel and initrd by running
 * test/e2e/guest/build.sh; once per process. Rejects with build.sh's message.
 */
export function ensureGuest(): Promise<GuestImage> {
  const dir = guestCacheDir();
  building ??= runBuildScript(path.join(repoRoot(), 'test', 'e2e', 'guest', 'build.sh'), dir, 'guest').then(() => {
    const image = { kernel: path.join(dir, 'vmlinuz'), initrd: path.join(dir, 'initrd.gz') };
    if (!existsSync(image.kernel) || !existsSync(image.initrd))
      throw new Error(`famez tests: the guest build left no ${image.kernel} and ${image.initrd}`);
    return image;
  });
  building.catch(() => {
    building = undefined;
  }); // let a later call retry
  return building;
}

// ------------------------------------------------------------------ guests

export interface GuestOptions {
  /** The ivshmem server's UNIX socket (it must already listen: QEMU connects once, at start). */
  socket: string;
  /** MSI-X vectors of the device (default 1). */
  vectors?: number;
  /** What the guest does after "ready", in order. */
  steps?: ReadonlyArray<GuestStep | string>;
  /** Kill QEMU after this long (default 120000 ms); the exit then has timedOut = true. */
  timeoutMs?: number;
  /** The QEMU device; only ivshmem-doorbell exists in QEMU >= 4 (the legacy `ivshmem` is gone). */
  device?: 'ivshmem-doorbell';
  /** Guest RAM in MiB (default 256). */
  ramMiB?: number;
  /** Label for errors (default "guest<N>"). */
  name?: string;
  /** Kernel and initrd; default: those of a previous ensureGuest() (or the cache dir). */
  image?: GuestImage;
  /** QEMU binary (default qemu-system-x86_64 from PATH). */
  qemu?: string;
  /** More QEMU arguments, appended. */
  extraArgs?: readonly string[];
}

export interface GuestExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Everything QEMU printed, \r removed; stderr lines are prefixed "[qemu] ". */
  output: string;
  events: GuestEvent[];
  /** The guest was killed by the harness's timeoutMs. */
  timedOut: boolean;
}

/** A failure of an e2e guest; `output` is the whole console capture. */
export class GuestError extends Error {
  constructor(
    message: string,
    readonly guest: string,
    readonly output: string,
    readonly events: readonly GuestEvent[],
  ) {
    super(`${guest}: ${message}\n${formatOutput(output)}`);
    this.name = 'GuestError';
  }
}

const TAIL_LINES = 80;
function formatOutput(output: string): string {
  const lines = output.replace(ESCAPES_RE, '').split('\n');
  if (lines.at(-1) === '') lines.pop();
  const shown =
    lines.length > TAIL_LINES
      ? [`(... ${lines.length - TAIL_LINES} earlier lines)`, ...lines.slice(-TAIL_LINES)]
      : lines;
  return `--- console output (${lines.length} lines) ---\n${shown.join('\n')}\n--- end of console output ---`;
}

export interface WaitForOptions {
  /** Only events after this one count (e.g. the previous `wait`). */
  after?: GuestEvent;
}

export interface Guest {
  readonly name: string;
  readonly pid: number | undefined;
  /** The whole QEMU command line. */
  readonly argv: readonly string[];
  /** Events so far, in order (live array). */
  readonly events: readonly GuestEvent[];
  /** Output so far (see GuestExit.output). */
  readonly output: string;
  /** The peer id once "ready" was seen. */
  readonly id: number | undefined;
  readonly running: boolean;
  /** Resolves when QEMU has exited (never rejects). */
  readonly exited: Promise<GuestExit>;
  /**
   * Resolves with the first event (already seen or future) that matches; the
   * predicate sees each event once, in order. Rejects with a GuestError on
   * timeout (default 60000 ms), when QEMU exits first, or when the guest
   * reports an `error` event that does not match.
   */
  waitFor<K extends GuestEventName>(
    event: K,
    timeoutMs?: number,
    options?: WaitForOptions,
  ): Promise<Extract<GuestEvent, { event: K }>>;
  waitFor<E extends GuestEvent>(
    match: (e: GuestEvent) => e is E,
    timeoutMs?: number,
    options?: WaitForOptions,
  ): Promise<E>;
  waitFor(match: (e: GuestEvent) => boolean, timeoutMs?: number, options?: WaitForOptions): Promise<GuestEvent>;
  /**
   * Waits for QEMU to exit (default 60000 ms) and checks that the guest ran to
   * its `done` line, reported no `error`, and exited with code 0; else rejects.
   */
  finished(timeoutMs?: number): Promise<GuestExit>;
  /** Ends QEMU (SIGTERM, then SIGKILL after 2 s) and waits for it. */
  kill(): Promise<GuestExit>;
}

/** QEMU's arguments for a guest. */
export function qemuArgs(options: GuestOptions, image: GuestImage): string[] {
  const vectors = options.vectors ?? 1;
  if (!Number.isInteger(vectors) || vectors < 1 || vectors > 64)
    throw new RangeError(`vectors ${vectors}: 1..64 supported`);
  const device = options.device ?? 'ivshmem-doorbell';
  if (options.socket.includes(',')) throw new RangeError(`socket path must not contain ',': ${options.socket}`);
  return [
    '-machine',
    'q35,accel=tcg',
    '-cpu',
    'max',
    '-m',
    String(options.ramMiB ?? 256),
    '-nographic',
    '-no-reboot',
    '-nic',
    'none',
    '-kernel',
    image.kernel,
    '-initrd',
    image.initrd,
    '-append',
    kernelCommandLine(options.steps),
    '-chardev',
    `socket,path=${options.socket},id=iv`,
    '-device',
    `${device},chardev=iv,vectors=${vectors}`,
    ...(options.extraArgs ?? []),
  ];
}

const live = new Set<ChildProcess>();
let exitHook = false;
let counter = 0;
const MAX_OUTPUT = 4 << 20;

/** Starts a guest. Call (and await) ensureGuest() first, or pass `image`. */
export function startGuest(options: GuestOptions): Guest {
  const image = options.image ?? cachedImage();
  if (!image) throw new Error('famez e2e: no guest image; await ensureGuest() before startGuest()');
  const name = options.name ?? `guest${counter++}`;
  const qemu = options.qemu ?? QEMU;
  const args = qemuArgs(options, image);
  const argv = [qemu, ...args];

  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }

  const events: GuestEvent[] = [];
  const listeners = new Set<(e: GuestEvent | null) => void>(); // null: QEMU exited
  let output = '';
  let partial = '';
  let running = true;
  let timedOut = false;
  let id: number | undefined;

  const append = (text: string) => {
    if (output.length < MAX_OUTPUT) output += text;
  };
  const note = (line: string) => {
    // a whole line of the harness's or QEMU's own
    append(`${output === '' || output.endsWith('\n') ? '' : '\n'}${line}\n`);
  };
  let exitInfo = '';
  const emit = (e: GuestEvent | null) => {
    for (const l of [...listeners]) l(e);
  };
  const onLine = (line: string) => {
    const e = parseLine(line);
    if (!e) return;
    if (e.event === 'ready' && e.id !== null) id = e.id;
    e.atMs = Math.round(performance.now() - started);
    events.push(e);
    emit(e);
  };

  const started = performance.now();
  const child = spawn(qemu, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  child.stdout!.setEncoding('latin1');
  child.stdout!.on('data', (chunk: string) => {
    const text = chunk.replace(/\r/g, '');
    append(text);
    const lines = (partial + text).split('\n');
    partial = lines.pop()!;
    for (const l of lines) onLine(l);
  });
  let errPartial = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    const lines = (errPartial + chunk.replace(/\r/g, '')).split('\n');
    errPartial = lines.pop()!;
    for (const l of lines) note(`[qemu] ${l}`);
  });

  const timer = setTimeout(() => {
    timedOut = true;
    note(`[harness] killed after timeoutMs=${options.timeoutMs ?? 120000}`);
    child.kill('SIGKILL');
  }, options.timeoutMs ?? 120000);

  const exited = new Promise<GuestExit>((resolve) => {
    let spawnError: Error | undefined;
    child.on('error', (err) => {
      spawnError = err;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      if (partial) {
        append('\n');
        onLine(partial);
        partial = '';
      }
      if (errPartial) note(`[qemu] ${errPartial}`);
      if (spawnError) note(`[harness] cannot run ${qemu}: ${spawnError.message}`);
      exitInfo = signal ? `signal ${signal}` : `code ${code}`;
      running = false;
      emit(null);
      resolve({ code, signal, output, events: [...events], timedOut });
    });
  });

  const describe = (match: unknown): string => (typeof match === 'string' ? `'${match}'` : 'a matching event');

  function waitFor(
    match: GuestEventName | ((e: GuestEvent) => boolean),
    timeoutMs = 60000,
    opts: WaitForOptions = {},
  ): Promise<GuestEvent> {
    const test = typeof match === 'string' ? (e: GuestEvent) => e.event === match : match;
    return new Promise<GuestEvent>((resolve, reject) => {
      let from = 0;
      if (opts.after) {
        const i = events.indexOf(opts.after);
        if (i < 0) {
          reject(new Error('waitFor: `after` is not an event of this guest'));
          return;
        }
        from = i + 1;
      }
      const finish = (err: GuestError | null, e?: GuestEvent) => {
        clearTimeout(t);
        listeners.delete(check);
        if (err) reject(err);
        else resolve(e!);
      };
      const check = (e: GuestEvent | null) => {
        if (e === null) {
          finish(new GuestError(`QEMU exited (${exitInfo}) before ${describe(match)} was seen`, name, output, events));
        } else if (test(e)) {
          finish(null, e);
        } else if (e.event === 'error') {
          finish(
            new GuestError(`guest reported "${e.line}" while waiting for ${describe(match)}`, name, output, events),
          );
        }
      };
      const t = setTimeout(() => {
        finish(new GuestError(`timed out after ${timeoutMs} ms waiting for ${describe(match)}`, name, output, events));
      }, timeoutMs);
      listeners.add(check);
      for (const e of events.slice(from)) {
        check(e);
        if (!listeners.has(check)) return;
      }
      if (!running) check(null);
    });
  }

  async function finished(timeoutMs = 60000): Promise<GuestExit> {
    let t: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => {
      t = setTimeout(() => r('timeout'), timeoutMs);
    });
    const r = await Promise.race([exited, timeout]);
    clearTimeout(t);
    if (r === 'timeout') throw new GuestError(`still running after ${timeoutMs} ms`, name, output, events);
    const error = r.events.find((e) => e.event === 'error');
    if (error) throw new GuestError(`guest reported "${error.line}"`, name, r.output, r.events);
    if (r.timedOut) throw new GuestError('killed by the harness timeout', name, r.output, r.events);
    if (!r.events.some((e) => e.event === 'done')) {
      throw new GuestError(
        `QEMU exited (${r.signal ?? `code ${r.code}`}) before the guest was done`,
        name,
        r.output,
        r.events,
      );
    }
    if (r.code !== 0)
      throw new GuestError(`QEMU exited with ${r.signal ?? `code ${r.code}`}`, name, r.output, r.events);
    return r;
  }

  async function kill(): Promise<GuestExit> {
    if (running) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 2000);
      try {
        return await exited;
      } finally {
        clearTimeout(t);
      }
    }
    return exited;
  }

  return {
    name,
    get pid() {
      return child.pid;
    },
    argv,
    events,
    get output() {
      return output;
    },
    get id() {
      return id;
    },
    get running() {
      return running;
    },
    exited,
    waitFor: waitFor as Guest['waitFor'],
    finished,
    kill,
  };
}

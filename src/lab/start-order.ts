// Guests started one at a time, each once the one before has connected: the
// server gives ids in the order peers connect, so lab1 gets the lowest port,
// lab2 the next, whatever the order in which QEMUs would reach the socket.

export interface StartedVm {
  readonly pid: number | undefined;
  /** Settles when the process ends. */
  readonly exited: Promise<unknown>;
}

/** Which process (by pid, from its socket's credentials) got which id. */
export class JoinWatch {
  readonly #ids = new Map<number, number>();
  readonly #waiting = new Map<number, () => void>();

  joined(pid: number, id: number): void {
    this.#ids.set(pid, id);
    this.#waiting.get(pid)?.();
  }

  get(pid: number | undefined): number | undefined {
    return pid === undefined ? undefined : this.#ids.get(pid);
  }

  /** Settles when `vm` has joined, has exited, or `timeoutMs` passed (it is then reported as not up, later). */
  async connected(vm: StartedVm, timeoutMs: number): Promise<void> {
    const { pid } = vm;
    if (pid === undefined || this.#ids.has(pid)) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.#waiting.set(pid, resolve)),
      vm.exited,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    this.#waiting.delete(pid);
  }
}

/** Starts `count` VMs in turn (`start(1)` first), each after the one before connected; `started` gets each at once. */
export async function startInOrder<T extends StartedVm>(
  count: number,
  start: (index: number) => T,
  watch: JoinWatch,
  started: (vm: T) => void,
  timeoutMs = 30_000,
): Promise<void> {
  for (let i = 1; i <= count; i++) {
    const vm = start(i);
    started(vm);
    await watch.connected(vm, timeoutMs);
  }
}

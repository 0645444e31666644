// Waiting in a console command for something that events bring (a doorbell, a
// peer, a message), with a deadline: no polling, no sleeps.

export class Wakeup {
  #wake?: () => void;

  /** Something arrived: a waiting until() looks again. */
  notify(): void {
    this.#wake?.();
  }

  /** Calls `check` at once and whenever notified, until it answers or `seconds` pass (then undefined). */
  async until<T>(check: () => T | undefined, seconds: number): Promise<T | undefined> {
    const deadline = Date.now() + seconds * 1000;
    for (let value = check(); ; value = check()) {
      if (value !== undefined || Date.now() >= deadline) return value;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }
}

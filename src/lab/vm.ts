// One lab guest's QEMU process: started, watched, stopped, and its console's
// last lines for when it does not come up.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { vmArgs, type VmPlan } from './vm-args.js';

export class LabVm {
  readonly child: ChildProcess;
  readonly exited: Promise<string>;
  #stderr = '';
  #exit?: string;

  /**
   * `guard`: a command that runs QEMU with a parent-death signal (setpriv
   * --pdeathsig KILL), so that a guest never outlives a lab that dies. Node
   * spawns on its main thread, which lives as long as the lab.
   */
  constructor(
    readonly qemu: string,
    readonly plan: VmPlan,
    guard: readonly string[] = [],
  ) {
    const [program, ...args] = [...guard, qemu, ...vmArgs(plan)];
    this.child = spawn(program!, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.#stderr += d.toString();
    });
    this.child.once('error', (error) => {
      this.#stderr += error.message;
    });
    this.exited = new Promise((resolve) =>
      this.child.once('close', (code, signal) => {
        this.#exit = signal ? `signal ${signal}` : `status ${code}`;
        resolve(this.#exit);
      }),
    );
  }

  get name(): string {
    return this.plan.name;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** How QEMU ended, or undefined while it runs. */
  get exit(): string | undefined {
    return this.#exit;
  }

  /** The guest's console so far, without carriage returns and escape codes. */
  consoleText(): string {
    try {
      // eslint-disable-next-line no-control-regex
      return readFileSync(this.plan.log, 'latin1')
        .replace(/\r/g, '')
        .replace(/\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-~]/g, '');
    } catch {
      return '';
    }
  }

  /**
   * The last lines of the console (up to a kernel panic: its register and stack dump says less than what came before)
   * and QEMU's own messages.
   */
  tail(lines = 15): string {
    const console = this.consoleText()
      .split('\n')
      .filter((l) => l.trim() !== '');
    const panic = console.findIndex((l) => l.includes('Kernel panic - not syncing'));
    const text = [
      ...(panic < 0 ? console : console.slice(0, panic + 1)),
      ...this.#stderr
        .split('\n')
        .filter(Boolean)
        .map((l) => `[qemu] ${l}`),
    ];
    return text
      .slice(-lines)
      .map((l) => `  ${l}`)
      .join('\n');
  }

  /** SIGTERM, SIGKILL after `graceMs`; resolves when QEMU is gone. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.#exit !== undefined || this.child.pid === undefined) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

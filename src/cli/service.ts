// What `famez server` and `famez fabric` share: run in the foreground or as a
// daemon, log, write the pid file, and close cleanly on SIGINT or SIGTERM.
import { daemonize, isDaemonChild, reportReady } from './daemon.js';
import { Logger, type LogFormat } from './logger.js';
import { removePidFile, writePidFile } from './pidfile.js';

export interface ServicePlan {
  pidFile?: string;
  daemonize: boolean;
  log: { path?: string; format: LogFormat; verbose: boolean };
}

export interface Service {
  listen(): Promise<void>;
  /** Logs that it is listening: after the pid file is written, so that whoever sees the line finds the file. */
  announce(): void;
  close(): Promise<void>;
  /** Said when a signal stops the service ("closing 3 peer(s)"). */
  describeStop(): string;
  /**
   * Called once listening (and the pid file is written); a promise returned stops the service when it settles (a
   * console's quit).
   */
  started?(): Promise<void> | undefined;
}

/** Runs the service until SIGINT, SIGTERM or its own stop. Resolves with the exit status. */
export async function runService(name: string, plan: ServicePlan, create: (log: Logger) => Service): Promise<number> {
  if (plan.daemonize && !isDaemonChild()) return daemonize(name);
  const log = new Logger(plan.log);
  const service = create(log);
  // Signals are caught from before the socket exists, so that a SIGTERM sent as
  // soon as the pid file appears still closes cleanly.
  let onSignal: (signal: NodeJS.Signals | 'quit') => void = () => {};
  const stop = new Promise<NodeJS.Signals | 'quit'>((resolve) => {
    onSignal = resolve;
  });
  const reopenLog = (): void => log.reopen();
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal).on('SIGHUP', reopenLog);
  try {
    await service.listen();
    if (plan.pidFile) {
      try {
        writePidFile(plan.pidFile);
      } catch (error) {
        await service.close();
        throw new Error(`cannot write pid file ${plan.pidFile}: ${(error as Error).message}`);
      }
    }
    service.announce();
    reportReady();
    service.started?.()?.then(
      () => onSignal('quit'),
      () => onSignal('quit'),
    );
    const signal = await stop;
    log.info('stopping', `${signal}: ${service.describeStop()}`, { signal });
    await service.close();
    if (plan.pidFile) removePidFile(plan.pidFile);
    return 0;
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal).off('SIGHUP', reopenLog);
    // A stalled output holds a write in flight that would keep the process alive.
    if (!(await log.close())) setImmediate(() => process.exit());
  }
}

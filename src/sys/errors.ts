/** An operating-system failure: `code` is the errno name (EAGAIN, EMFILE, ...). */
export interface SysError extends Error {
  code: string;
  errno: number;
  syscall: string;
}

export function isSysError(error: unknown, code?: string): error is SysError {
  return (
    error instanceof Error &&
    typeof (error as SysError).syscall === 'string' &&
    (code === undefined || (error as SysError).code === code)
  );
}

/**
 * A system error's text without the path Node appends ("EIO: i/o error, open '/x'" -> "EIO: i/o error"): the caller
 * names the path itself.
 */
export function systemReason(error: unknown): string {
  return (error as Error).message.replace(/, \w+ '.*'$/, '');
}

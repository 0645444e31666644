/** An operating-system failure: `code` is the errno name (EAGAIN, EMFILE, ...). */
export interface SysError extends Error {
  code: string;
  errno: number;
  syscall: string;
}

export function isSysError(error: unknown, code?: string): error is SysError {
  return error instanceof Error && typeof (error as SysError).syscall === 'string' &&
    (code === undefined || (error as SysError).code === code);
}

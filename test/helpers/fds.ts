// Fd accounting for leak checks.
import { readdirSync } from 'node:fs';

/** How many fds this process has open (readdir's own directory fd is not counted). */
export function openFdCount(): number {
  return readdirSync('/proc/self/fd').length - 1;
}

// The lab guest's kernel and initrd: built by the package's guest-agent/build.sh
// into the cache once, rebuilt when the agent or init change.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { guestCacheDir } from './paths.js';
import { LabError } from './lab-lock.js';

export interface GuestImage {
  kernel: string;
  initrd: string;
}

/** guest-agent/ in the package (this file is dist/src/lab/guest-image.js). */
export const GUEST_SOURCE = fileURLToPath(new URL('../../../guest-agent/', import.meta.url));

export interface ImageOptions {
  /** A kernel of the user's (for hosts without apt). */
  kernel?: string;
  /** An initrd of the user's: then nothing is built. */
  initrd?: string;
  cacheDir?: string;
  /** --fam-as nvdimm|cxl: the initrd with the DAX modules, ndctl and cxl (initrd-dax.gz). */
  dax?: boolean;
}

export async function ensureGuestImage(options: ImageOptions = {}): Promise<GuestImage> {
  const dir = options.cacheDir ?? guestCacheDir();
  if (options.kernel && options.initrd) return { kernel: options.kernel, initrd: options.initrd };
  const env = { ...process.env, ...(options.kernel ? { KERNEL: options.kernel } : {}) };
  await new Promise<void>((resolve, reject) => {
    const child = spawn('bash', [path.join(GUEST_SOURCE, 'build.sh'), dir, ...(options.dax ? ['dax'] : [])], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stdout.resume();
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', (error) => reject(new LabError(`cannot run the guest build (bash): ${error.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolve();
      else {
        const lines = err.trim().split('\n');
        const said = lines.filter((line) => line.startsWith('famez lab: ')).at(-1);
        reject(
          new LabError(
            said ? said.slice('famez lab: '.length) : `the guest build failed: ${lines.slice(-5).join(' | ')}`,
          ),
        );
      }
    });
  });
  return {
    kernel: options.kernel ?? path.join(dir, 'vmlinuz'),
    initrd: options.initrd ?? path.join(dir, options.dax ? 'initrd-dax.gz' : 'initrd.gz'),
  };
}

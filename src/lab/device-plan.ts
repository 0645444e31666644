// From `famez server` / `famez fabric` options to the device a guest attaches:
// the same plan the server itself runs with, so the stanza cannot drift.
import { statSync } from 'node:fs';
import type { BackingSpec } from '../memory/backing.js';
import { DEFAULT_SIZE } from '../memory/backing.js';
import { nextPowerOfTwo } from '../memory/size.js';
import { geometry } from '../mailbox/layout.js';
import type { DoorbellDevice } from './device.js';

/**
 * The size the server will serve: the one asked for, else an existing object's, else the default; rounded up as the
 * server does.
 */
export function servedSize(memory: BackingSpec, existingSize: (path: string) => number | undefined = fileSize): number {
  const path = memory.kind === 'shm' ? shmPath(memory.name) : memory.kind === 'file' ? memory.path : undefined;
  const size = memory.size ?? (path === undefined ? undefined : existingSize(path)) ?? DEFAULT_SIZE;
  return nextPowerOfTwo(size);
}

function shmPath(name: string): string {
  return `/dev/shm/${name.replace(/^\/+/, '')}`;
}

function fileSize(path: string): number | undefined {
  try {
    const stats = statSync(path);
    return stats.isFile() && stats.size > 0 ? stats.size : undefined;
  } catch {
    return undefined;
  }
}

/** A name usable as a QEMU id and a libvirt shmem name. */
function deviceName(text: string, fallback: string): string {
  const name = text.replace(/[^A-Za-z0-9_-]/g, '_');
  return /^[A-Za-z]/.test(name) ? name : fallback;
}

export interface ServerDeviceInput {
  socketPath: string;
  memory: BackingSpec;
  vectors: number;
  protocol: 'qemu' | 'legacy';
}

export function serverDevice(
  input: ServerDeviceInput,
  existingSize?: (path: string) => number | undefined,
): DoorbellDevice {
  const { memory } = input;
  const base = {
    socketPath: input.socketPath,
    vectors: input.vectors,
    protocol: input.protocol,
    size: servedSize(memory, existingSize),
  };
  switch (memory.kind) {
    case 'shm':
      return { ...base, name: deviceName(memory.name.replace(/^\/+/, ''), 'ivshmem'), memPath: shmPath(memory.name) };
    case 'file':
      return { ...base, name: 'ivshmem', memPath: memory.path };
    case 'directory':
      return {
        ...base,
        name: 'ivshmem',
        noPlainReason: `the memory file in ${memory.path} is unlinked at once, so QEMU cannot open it by name`,
      };
    case 'memfd':
      return { ...base, name: 'ivshmem', noPlainReason: 'a memfd has no name' };
  }
}

export function fabricDevice(socketPath: string, nClients: number): DoorbellDevice {
  const { nEvents, size } = geometry(nClients);
  return {
    name: 'ivshmsg',
    socketPath,
    vectors: nEvents,
    size,
    protocol: 'qemu',
    noPlainReason: 'the mailbox is useless without doorbells (and famez removes it at exit)',
  };
}

// What a guest needs to know to attach to a famez server or fabric: the
// socket, the vectors, the memory and where it lives. Pure data, no I/O.

/** The doorbell device (`ivshmem-doorbell`): memory and doorbells from the server's socket. */
export interface DoorbellDevice {
  /** Names the chardev, the libvirt <shmem name>, and the memory object of the plain form. */
  name: string;
  socketPath: string;
  vectors: number;
  /** Bytes of shared memory (a power of two). */
  size: number;
  protocol: 'qemu' | 'legacy';
  /**
   * The memory as a file QEMU can map itself (`ivshmem-plain` +
   * `memory-backend-file`), when the backing has a name: no doorbells then.
   */
  memPath?: string;
  /** When there is no plain form: why (said in a comment). */
  noPlainReason?: string;
}

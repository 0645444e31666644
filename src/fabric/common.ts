// What both ends of the fabric share, the host (fabric.ts, switch.ts) and a
// peer (peer.ts): here, so that loading a peer loads nothing of the host.

/** FAME-Z's socket path. */
export const DEFAULT_FABRIC_SOCKET = '/tmp/ivshmsg_socket';

/** A port's link: up, or configured by the switch. */
export type LinkState = 'up' | 'configured';

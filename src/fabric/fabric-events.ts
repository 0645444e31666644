// What a Fabric tells its listeners (its switch agent's reports among them).
import type { PeerInfo } from '../server/index.js';
import type * as sys from '../sys/index.js';
import type { FaultChange } from '../switching/faults.js';
import type { Port } from './switch.js';

export interface FabricMessage {
  from: number;
  /** The sender's nodename as its slot holds it ('' when it has none). */
  nodename: string;
  /** The whole payload, tracker included. */
  text: string;
  body: string;
  tracker?: number;
}

export interface FabricEvents {
  listening: [];
  'port-joined': [Port, PeerInfo];
  'port-left': [Port, string];
  'peer-refused': [sys.Credentials | undefined, string];
  /** A message to the switch. */
  message: [FabricMessage];
  /** A message the switch sent, once the receiver took it. */
  sent: [{ to: number; text: string }];
  /** A port's link was configured or its peer attributes came in. */
  link: [Port, 'configured' | 'attributes'];
  /** A peer asked the switch to dump (FAME-Z's switch prints its ports). */
  dump: [];
  /** A fault changed (switched), with its log line; every configured peer is told. */
  fault: [FaultChange, string];
  /** The mailbox was cut (its size when noticed, in bytes): the switch restores it ('restored'). */
  shrunk: [number];
  /** The mailbox has its size again, mapped back, globals and names rewritten. */
  restored: [number];
  /**
   * Something a peer did wrong, or the fabric could not do (rate-limited per
   * peer and kind). `withoutText`, when the line quotes message text: the line
   * with sizes in its place, for readers without the web token.
   */
  warning: [text: string, withoutText?: string];
  /** Details: each message in and out. */
  debug: [string];
  error: [Error];
  close: [];
}

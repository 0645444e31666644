// The public shapes of a fabric peer (src/fabric/peer.ts): its options,
// events, messages and link, apart from the class that carries them out.
import type { ConnectOptions } from '../client/index.js';
import type { LinkState } from './common.js';

export interface FabricPeerOptions extends Omit<ConnectOptions, 'protocol'> {
  /** Default z<id> (two digits), as FAME-Z's client. */
  nodename?: string;
  /** Default Debugger. */
  cclass?: string;
  /** How long a receiver may keep our slot (default 1000 ms, as FAME-Z). */
  replyTimeoutMs?: number;
}

export interface ChatMessage {
  from: number;
  /** The sender's nodename as its slot holds it ('' when it has none). */
  nodename: string;
  /** The whole payload, tracker included. */
  text: string;
  body: string;
  tracker?: number;
  /** It answered a request of ours (request(), or our own greeting of the switch). */
  answered?: boolean;
}

export interface PeerEntry {
  id: number;
  nodename: string;
  cclass: string;
}

/** Our link, as the switch configured it (FAME-Z's CID0/SID0/PFMCID0/PFMSID0). */
export interface OwnLink {
  state: LinkState;
  cid0: number;
  sid0: number;
  pfmCid0: number;
  pfmSid0: number;
}

export interface FabricPeerEvents {
  /** Every message that reaches us, answered ones included. */
  message: [ChatMessage];
  /** A message we sent (or spoofed) was taken by its receiver. */
  sent: [{ from: number; to: number; text: string }];
  /** A peer joined (its id); with the server's recycling, a returning peer is not announced. */
  peer: [number];
  'peer-gone': [PeerEntry];
  /** The switch configured our link. */
  configured: [OwnLink];
  /** Something another peer did wrong (a bad slot), or an answer that could not go. */
  warning: [string];
  disconnect: [Error | undefined];
  reconnect: [number];
  close: [Error | undefined];
}

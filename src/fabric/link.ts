// The messages of the link exchange, in FAME-Z's text form (Gen-Z Core 1.0
// names): what a payload body means, and how to write each one.
import { formatArguments, parseArguments, words } from './payload.js';

export interface PeerAttributes {
  cclass: string;
  CID0: number;
  SID0: number;
  /**
   * famez's own: `ring` asks a fabric that hands the peer's slot back for it
   * (a message to another host taken there) to ring the peer on its own
   * vector, so that it sees the slot free at once rather than at its next look.
   */
  HandBack?: typeof HAND_BACK_RING;
}

export const HAND_BACK_RING = 'ring';

export interface CtlWrite {
  space: number;
  pfmCid: number;
  pfmSid: number;
  cid: number;
  sid: number;
  tag: string;
}

export type Request =
  | { kind: 'ping' }
  | { kind: 'pong' }
  | { kind: 'dump' }
  /** Link CTL Peer-Attribute: asks for the receiver's attributes. */
  | { kind: 'peer-attribute' }
  /** Link CTL ACK k=v,...: an answer (to Peer-Attribute). */
  | { kind: 'ack'; attributes: Record<string, string> }
  | { kind: 'nak'; detail: string }
  /** Link RFC TTC=<time>: a request for configuration. */
  | { kind: 'rfc'; ttc?: string }
  | { kind: 'ctl-write'; write: CtlWrite }
  | { kind: 'standalone-ack'; tag?: string; reason?: string }
  /** `quote`: the part of the message the reason quotes (message text: kept apart, see message-text.ts). */
  | { kind: 'bad'; why: string; quote?: string }
  | { kind: 'other'; words: string[] };

/** What a payload body asks. Never throws: a malformed request is `bad` with the reason. */
export function parseRequest(body: string): Request {
  const all = words(body);
  const [first, second, third] = all;
  const rest = (n: number): string => all.slice(n).join(' ');
  if (all.length === 1 && (first === 'ping' || first === 'pong' || first === 'dump')) return { kind: first };
  if (first === 'Link' && second === 'CTL') {
    if (third === 'Peer-Attribute' && all.length === 3) return { kind: 'peer-attribute' };
    if (third === 'ACK') return { kind: 'ack', attributes: parseArguments(rest(3)) };
    if (third === 'NAK') return { kind: 'nak', detail: rest(3) };
    return { kind: 'bad', why: 'unknown Link CTL request', quote: rest(2) };
  }
  if (first === 'Link' && second === 'RFC') return { kind: 'rfc', ttc: parseArguments(rest(2)).TTC };
  if (first === 'CTL-Write') {
    const args = parseArguments(rest(1));
    const number = (key: string): number => (/^\d{1,15}$/.test(args[key] ?? '') ? Number(args[key]) : NaN);
    const missing = ['Space', 'PFMCID', 'PFMSID', 'CID', 'SID'].filter((key) => Number.isNaN(number(key)));
    if (!args.Tag) missing.push('Tag');
    if (missing.length) return { kind: 'bad', why: `CTL-Write without a valid ${missing.join(', ')}` };
    return {
      kind: 'ctl-write',
      write: {
        space: number('Space'),
        pfmCid: number('PFMCID'),
        pfmSid: number('PFMSID'),
        cid: number('CID'),
        sid: number('SID'),
        tag: args.Tag!,
      },
    };
  }
  if (first === 'Standalone' && second === 'Acknowledgment') {
    const args = parseArguments(rest(2));
    return { kind: 'standalone-ack', tag: args.Tag, reason: args.Reason };
  }
  return { kind: 'other', words: all };
}

export const PEER_ATTRIBUTE_REQUEST = 'Link CTL Peer-Attribute';

export function linkAck(attributes: PeerAttributes): string {
  const { cclass, CID0, SID0, HandBack } = attributes;
  return `Link CTL ACK ${formatArguments({ cclass, CID0, SID0, ...(HandBack && { HandBack }) })}`;
}

export function ctlWrite(write: CtlWrite): string {
  return `CTL-Write ${formatArguments({ Space: write.space, PFMCID: write.pfmCid, PFMSID: write.pfmSid, CID: write.cid, SID: write.sid, Tag: write.tag })}`;
}

export function standaloneAck(tag: string, reason = 'OK'): string {
  return `Standalone Acknowledgment ${formatArguments({ Tag: tag, Reason: reason })}`;
}

export function linkRfc(ttc = '27us'): string {
  return `Link RFC TTC=${ttc}`;
}

// The checks every field of a message from another node passes (it is untrusted input).
import { MAX_PEER_ID } from '../protocol/message.js';

export const isId = (value: unknown): value is number =>
  Number.isInteger(value) && (value as number) >= 0 && (value as number) <= MAX_PEER_ID;
export const isCount = (value: unknown, max: number): value is number =>
  Number.isInteger(value) && (value as number) >= 0 && (value as number) <= max;
export const isName = (value: unknown): value is string =>
  typeof value === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(value);
export const isText = (value: unknown, max: number): value is string =>
  typeof value === 'string' && value.length <= max;

export const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

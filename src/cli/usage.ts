// Command-line errors: one line naming what is wrong and what to do; exit 2.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { didYouMean } from './nearest.js';

export class UsageError extends Error {
  override name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;
type Value<O> = O extends { type: 'boolean' } ? boolean : string;
export type Values<T extends Options> = {
  [K in keyof T]?: T[K] extends { multiple: true } ? Value<T[K]>[] : Value<T[K]>;
};

/** parseArgs with errors rewritten as one-line UsageErrors. */
export function parseOptions<T extends Options>(command: string, args: string[], options: T): Values<T> {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values as Values<T>;
  } catch (error) {
    const { code, message } = error as { code?: string; message: string };
    const option = /'([^']+)'/.exec(message)?.[1] ?? '';
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const unknown = option.split(' ')[0] ?? '';
      const known = unknown.startsWith('--') ? Object.keys(options).map((name) => `--${name}`) : [];
      throw new UsageError(
        `${command}: unknown option ${unknown}${didYouMean(unknown, known)} (see ${command} --help)`,
      );
    }
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
      throw new UsageError(`${command}: unexpected argument ${option} (see ${command} --help)`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE')
      throw new UsageError(
        `${command}: option ${option.split(' ')[0].replace(/,$/, '')} needs a value (see ${command} --help)`,
      );
    throw new UsageError(`${command}: ${message.split('\n')[0]}`);
  }
}

/** An integer option in [min, max]. */
export function integer(option: string, text: string, min: number, max: number): number {
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`invalid value "${text}" for ${option}: expected an integer from ${min} to ${max}`);
  }
  return value;
}

/** One of a fixed set of words. */
export function choice<T extends string>(option: string, text: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(text)) {
    throw new UsageError(`invalid value "${text}" for ${option}: expected one of ${choices.join(', ')}`);
  }
  return text as T;
}

/** Octal file mode such as 0600 or 660. */
export function fileMode(option: string, text: string): number {
  if (!/^0?[0-7]{3,4}$/.test(text))
    throw new UsageError(`invalid value "${text}" for ${option}: expected an octal mode such as 0600`);
  return parseInt(text, 8);
}

/** An option spelled two ways (FAME-Z's and famez's): the value given, or a UsageError when both are. */
export function eitherSpelling(
  command: string,
  names: [string, string],
  a: string | undefined,
  b: string | undefined,
): string | undefined {
  if (a !== undefined && b !== undefined)
    throw new UsageError(`${command}: ${names[0]} and ${names[1]} name the same thing: give one`);
  return a ?? b;
}

// Numbers on the command line and in the config file: plain decimals in a range, a usage error otherwise.
import { UsageError } from '../errors.ts';

export function parseNumber(text: string, what: string, min: number, max: number): number {
  const value = /^\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!(value >= min && value <= max)) throw new UsageError(`bad ${what} ${JSON.stringify(text)}: expected ${min} to ${max}`);
  return value;
}

/** A whole number in a range. */
export function parseCount(text: string, what: string, min: number, max: number): number {
  const value = /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= min && value <= max)) throw new UsageError(`bad ${what} ${JSON.stringify(text)}: expected a whole number from ${min} to ${max}`);
  return value;
}

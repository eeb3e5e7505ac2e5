import * as assert from 'uvu/assert';
import { InputError } from '../../src/errors.ts';

/** Runs fn, asserts it throws an InputError (bad input, exit 2), and returns the message for more asserts. */
export function inputErrorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.instance(err, InputError);
    return (err as Error).message;
  }
  throw new Error('expected an InputError');
}

/** Awaits fn, asserts it rejects with an InputError, and returns the message for more asserts. */
export async function inputErrorOfAsync(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (err) {
    assert.instance(err, InputError);
    return (err as Error).message;
  }
  throw new Error('expected an InputError');
}

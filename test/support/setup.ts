import type { Test } from 'uvu';

/**
 * Runs `setup` once before the suite's tests, like `test.before`, but a failure fails every test of the suite.
 * uvu 0.5 swallows an error thrown in a `before` hook: no test runs, nothing is printed and the exit code is 0,
 * so a suite whose redis-server or fixture server did not start would pass.
 */
export function beforeAll<T>(test: Test<T>, setup: () => unknown): void {
  let failure: { error: unknown } | undefined;
  test.before(async () => {
    try {
      await setup();
    } catch (error) {
      failure = { error };
    }
  });
  test.before.each(() => {
    if (failure) throw failure.error;
  });
}

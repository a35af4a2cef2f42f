// Tests that need a tool from outside the project (headless Chromium, gRPC's C core through python3-grpcio,
// the kernel's vsock) skip without it on a developer's machine, and say so. Under GRPCPERF_REQUIRE_ALL=1,
// which .ci/run sets, a missing tool is a failing test instead: CI cannot pass with a group skipped.
import { test } from "bun:test";

export const REQUIRE_ALL = process.env.GRPCPERF_REQUIRE_ALL === "1";

/** Whether `what` is there; when it is not, warns (or, under GRPCPERF_REQUIRE_ALL=1, adds a failing test). */
export function available(what: string, present: boolean, install: string): boolean {
  if (present) return true;
  if (REQUIRE_ALL) {
    test(`${what} is available (GRPCPERF_REQUIRE_ALL=1)`, () => {
      throw new Error(`${what} is missing: ${install}`);
    });
  } else {
    console.warn(`${what} is missing, its tests are skipped (${install}); GRPCPERF_REQUIRE_ALL=1 makes that a failure`);
  }
  return false;
}

/**
 * `test`, except where `unsupported` holds: then a test.todo that names why the case cannot pass there, so
 * it is counted (CI's closing line reports todos) instead of vanishing as a skip.
 */
export function testUnless(unsupported: boolean, reason: string): (name: string, fn: () => Promise<void>) => void {
  return (name, fn) => (unsupported ? test.todo(`${name} [todo: ${reason}]`) : test(name, fn));
}

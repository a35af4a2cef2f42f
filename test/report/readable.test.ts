// The HTML page's readable figures: the unit that keeps the number between 1 and 1000 (1024 for bytes).
import { describe, expect, test } from "bun:test";
import { readableBytes, readableCount, readableMicros } from "../../src/report/readable.ts";

describe("readable figures", () => {
  test("microseconds as µs, ms or s, three significant figures", () => {
    expect(readableMicros(0)).toBe("0 µs");
    expect(readableMicros(850)).toBe("850 µs");
    expect(readableMicros(12.345)).toBe("12.3 µs");
    expect(readableMicros(1000)).toBe("1 ms");
    expect(readableMicros(1234)).toBe("1.23 ms");
    expect(readableMicros(123_456)).toBe("123 ms");
    expect(readableMicros(2_500_000)).toBe("2.5 s");
  });

  test("bytes in binary units", () => {
    expect(readableBytes(512)).toBe("512 B");
    expect(readableBytes(1024)).toBe("1 KiB");
    expect(readableBytes(4 * 1024 * 1024)).toBe("4 MiB");
    expect(readableBytes(16_642_998_272)).toBe("15.5 GiB");
  });

  test("counts: whole and grouped from 100, else three significant figures", () => {
    expect(readableCount(12_345.678)).toBe("12,346");
    expect(readableCount(99.456)).toBe("99.5");
    expect(readableCount(0.123456)).toBe("0.123");
    expect(readableCount(7)).toBe("7");
  });
});

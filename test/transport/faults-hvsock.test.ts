// Load through faults (issue 30) over Firecracker's hybrid vsock: the compiled binary loads a guest's
// `grpcperf serve` through a stand-in for the VMM's muxer (./hvsock-muxer.ts), and the guest goes away mid-run.
// Two ways it does: the whole VM (the VMM's Unix socket file vanishes, so a reconnect meets ENOENT, then
// comes back with the VM, whose server starts after the VMM: CONNECTs are closed until it listens), and the
// guest's server alone (the VMM stays and closes each CONNECT). The run goes on for its whole duration, every
// due call is counted once, the outage lies between the loss and the guest's return, and every reconnect
// redoes the CONNECT handshake. No timings are asserted: the order of events is.
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { requireBinary, waitForLine } from "../support/helpers.ts";
import type { FaultRunDoc, OutageWindowDoc } from "../support/outage-doc.ts";
import { onTerminal } from "../support/terminal.ts";
import { type Muxer, startMuxer } from "./hvsock-muxer.ts";

const cwd = mkdtempSync(join(tmpdir(), "grpcperf-hvfaults-"));
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: cwd };
const GUEST_PORT = 52;

const guests: Subprocess[] = [];
const muxers: Muxer[] = [];
afterEach(async () => {
  for (const p of guests.splice(0)) if (p.exitCode === null) p.kill("SIGKILL");
  for (const m of muxers.splice(0)) await m.vanish();
});
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

/** The guest's server: the binary on a Unix socket, which the muxer splices to. */
async function serveGuest(path: string): Promise<Subprocess<"ignore", "pipe", "pipe">> {
  const proc = Bun.spawn([requireBinary(), "serve", "--addr", `unix:${path}`, "--workers", "1"], {
    cwd,
    env,
    stdout: "pipe",
    stderr: "pipe",
  });
  guests.push(proc);
  await waitForLine(proc.stderr, /serving .* on (\S+)/);
  return proc;
}

async function muxer(path: string, routes: ReadonlyMap<number, string>): Promise<Muxer> {
  const m = await startMuxer(path, routes, "firecracker");
  muxers.push(m);
  return m;
}

type Loss = "the VM and its socket file" | "the guest's server alone";
const CASES: [Loss, string][] = [
  ["the VM and its socket file", "lean"],
  ["the guest's server alone", "lean"],
  ["the VM and its socket file", "http2"],
];

describe("bench through a guest restart over hybrid vsock (compiled binary)", () => {
  test.each(CASES)(
    "loss of %s, then its return (%s client): the run completes, one outage across the loss, each due call once",
    async (loss, client) => {
      const id = Math.random().toString(36).slice(2);
      const vmm = join(cwd, `v-${id}.sock`);
      const guestPath = join(cwd, `g-${id}.sock`);
      const routes = new Map([[GUEST_PORT, guestPath]]);
      const guest = await serveGuest(guestPath);
      let mux = await muxer(vmm, routes);
      const out = join(cwd, `hv-${id}.json`);
      const t = onTerminal(
        [
          "bench",
          "--server",
          `hvsock://${vmm}:${GUEST_PORT}`,
          "--rate",
          "200",
          "-z",
          "6s",
          "-c",
          "2",
          "--threads",
          "2",
        ].concat(["--client", client, "--json", "-o", out]),
        { cwd, env },
      );
      await t.waitFor(/(?<![\d.])\d+\.\ds {2}[1-9]\d* calls/);
      const lossAt = Date.now();
      const before = mux.seen;
      guest.kill("SIGKILL");
      await guest.exited;
      if (loss === "the VM and its socket file") await mux.vanish();
      // the loader has noticed (and, with the socket file gone, met ENOENT) before anything comes back
      await t.waitFor(/errors [1-9]/);
      if (loss === "the VM and its socket file") mux = await muxer(vmm, routes);
      // the VMM is there and its guest's port is closed: a reconnect's CONNECT reaches it and is refused
      await mux.connects(loss === "the VM and its socket file" ? 1 : before + 1);
      const backAt = Date.now();
      await serveGuest(guestPath);
      expect(await t.exited).toBe(0);

      const doc = JSON.parse(readFileSync(out, "utf8")) as FaultRunDoc;
      expect(doc.aborted).toBeNull();
      // 200/s for 6 s: 1200 calls were due, each is in the report once, ok or failed
      expect(doc.total.requests).toBe(1200);
      expect(doc.total.ok + doc.total.failed).toBe(1200);
      const windows = doc.outages?.windows ?? [];
      expect(windows.length).toBe(1);
      const w = windows[0] as OutageWindowDoc;
      expect(Date.parse(w.start)).toBeGreaterThanOrEqual(lossAt);
      expect(Date.parse(w.start)).toBeLessThanOrEqual(backAt);
      // ended by an answer from the guest's new server: calls after its return succeed
      expect(w.end).not.toBeNull();
      expect(Date.parse(w.end as string)).toBeGreaterThanOrEqual(backAt);
      expect(w.failed).toBeGreaterThan(0);
      expect(w.first_error).toContain("UNAVAILABLE");
    },
  );
});

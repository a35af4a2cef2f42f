// What an attack is and what it reports: shared by both rounds of attacks (attacks.ts, attacks-round-two.ts)
// and the driver (scripts/stress-hostile.ts).
import type { AttackPeer } from "./h2-attacker.ts";

export interface AttackOutcome {
  readonly peer: AttackPeer;
  /** What the attack itself observed beyond frames: answers, stalls, timings. */
  readonly note: string;
  /** An attack-specific requirement held (the bomb got RESOURCE_EXHAUSTED); undefined when there is none. */
  readonly answered?: boolean;
  /** The longest the server took to answer one request of the attack (the bomb's inflate), ms. */
  readonly answerMs?: number;
}

export interface Target {
  /** RSS growth allowed, MB (10^6 bytes). */
  readonly rssMB?: number;
  /** Largest honest-call latency allowed, ms. */
  readonly maxMs?: number;
  /** The server must send GOAWAY. */
  readonly goaway?: boolean;
  /** The server must close (or GOAWAY) the connection before the attack's frames are all sent. */
  readonly closes?: boolean;
}

export interface Attack {
  readonly name: string;
  readonly what: string;
  readonly target: Target;
  /** Extra `serve` flags (--engine grpc-js for the other engine's variant). */
  readonly serverArgs?: readonly string[];
  /** Work done before the server starts (the bomb is compressed then, not while the server is watched). */
  prepare?(): Promise<void>;
  run(port: number, deadline: number): Promise<AttackOutcome>;
}

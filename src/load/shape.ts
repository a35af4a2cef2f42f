// The run's load, decided once from the options and handed down unchanged to the coordinator, every load
// thread and the report: an open loop (calls due on a rate plan, whatever the server does) or a closed loop
// (each slot sends again when its call is answered, under an optional plan of calls in flight). Plans are
// always the WHOLE run's; a sharded process keeps them whole and sends its share (k ≡ index mod count, see
// schedule.ts and levels.ts), so nothing is divided to be multiplied back later. Pure.
import { type ConcurrencyStage, type LevelPlan, levelPlanOf } from "./levels.ts";
import { meanRate, planOf, type RatePlan, type Stage } from "./schedule.ts";

/** Which slice of a run spread over `count` processes this one sends (0-based); {0, 1} when not sharded. */
interface Share {
  readonly index: number;
  readonly count: number;
}

const WHOLE_RUN: Share = { index: 0, count: 1 };

export interface OpenLoad {
  readonly kind: "open";
  /** Calls per second over the whole run (with a plan: its mean). */
  readonly rate: number;
  /** --stages / --load-schedule: the target rate over the measured phase; absent: flat at `rate`. */
  readonly plan?: RatePlan;
  readonly share: Share;
}

export interface ClosedLoad {
  readonly kind: "closed";
  /** --concurrency-stages / --concurrency-schedule: calls in flight over time; absent: every slot, always. */
  readonly plan?: LevelPlan;
  readonly share: Share;
}

export type LoadShape = OpenLoad | ClosedLoad;

/** An open loop at one rate, or along stages (their mean is the rate). */
export function openLoad(target: number | readonly Stage[], share: Share = WHOLE_RUN): OpenLoad {
  if (typeof target === "number") return { kind: "open", rate: target, share };
  const plan = planOf(target);
  return { kind: "open", rate: meanRate(plan, 0, plan.startsAt.at(-1) as number), plan, share };
}

export function closedLoad(stages?: readonly ConcurrencyStage[], share: Share = WHOLE_RUN): ClosedLoad {
  return stages === undefined ? { kind: "closed", share } : { kind: "closed", plan: levelPlanOf(stages), share };
}

/** The warm-up's load: flat at the first stage's target (rate or level), so the measured phase starts warm. */
export function warmupOf(load: LoadShape, warmupMs: number): LoadShape {
  if (load.plan === undefined) return load;
  if (load.kind === "open") return { kind: "open", rate: load.plan.stages[0]?.toRps ?? 0, share: load.share };
  const first = load.plan.stages[0]?.to ?? 0;
  return closedLoad([{ durationMs: Math.max(warmupMs, 1), from: first, to: first }], load.share);
}

/** The calls/s this process is asked for: its share of the whole (the report's target). */
export const rateOfShare = (load: OpenLoad): number => load.rate / load.share.count;

/** The rate stages as this process sends them: its share of each (the report's stages). */
export const stagesOfShare = (load: OpenLoad): readonly Stage[] | undefined =>
  load.plan?.stages.map((s) => ({
    durationMs: s.durationMs,
    fromRps: s.fromRps / load.share.count,
    toRps: s.toRps / load.share.count,
  }));

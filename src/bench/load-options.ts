// The load part of the options: connections, calls in flight, threads, how long the run lasts, and its
// LoadShape (load/shape.ts): --rate or --stages (open loop), --concurrency-stages (closed loop with a plan),
// --find-max (an open loop at the first step's rate), or none of them (closed loop). Pure.
import {
  type ConcurrencyStagesResult,
  ghzConcurrencyStages,
  parseConcurrencyStages,
} from "../load/concurrency-stages.ts";
import { type ConcurrencyStage, levelLengthOf, levelPlanOf, peakOf } from "../load/levels.ts";
import { lengthOf, planOf } from "../load/schedule.ts";
import { closedLoad, type LoadShape, openLoad } from "../load/shape.ts";
import { ghzStages, parseStages, type StagesResult } from "../load/stages.ts";
import { parseDuration } from "../units.ts";
import { type FindMaxSettings, findMaxOf, SLOTS_PER_CONNECTION } from "./find-max/options.ts";
import type { BenchFlags } from "./flags.ts";
import { duration, given, int, named, OptionError, positive, type Settings } from "./option-values.ts";

export const DEFAULT_CONNECTIONS = 10;
const DEFAULT_REQUESTS = 1000;
const MAX_THREADS_BY_DEFAULT = 4;

/** A concurrency plan as the options read it: the flag that gave it, its stages, peak and length. */
interface Levels {
  readonly source: string;
  readonly stages: readonly ConcurrencyStage[];
  readonly peak: number;
  readonly lengthMs: number;
}

interface LoadSizes {
  readonly connections: number;
  /** Calls in flight at most, over all connections (with a concurrency plan: its peak). */
  readonly concurrency: number;
  readonly threads: number;
  /** What was changed from what was asked, for the report. */
  readonly notes: readonly string[];
  readonly findMax: FindMaxSettings | undefined;
  readonly levels: Levels | undefined;
}

/** Connections, calls in flight and threads; --find-max and a concurrency plan are read on the way. */
export function sizesOf(s: Settings, cpus: number): LoadSizes {
  const levels = concurrencyStagesOf(s.flags);
  const connRaw = s.layered("connections");
  const connectionsAsked = connRaw
    ? int(connRaw, 1)
    : levels
      ? Math.min(DEFAULT_CONNECTIONS, levels.peak)
      : DEFAULT_CONNECTIONS;

  const search = findMaxOf(s.flags);
  if (!search.ok) throw new OptionError(search.error);
  const findMax = search.value;
  if (findMax && levels)
    throw new OptionError(`--find-max and ${levels.source} exclude each other: the search sets a rate`);

  const concRaw = s.layered("concurrency");
  const concurrency = levels
    ? levels.peak
    : concRaw
      ? int(concRaw, 1)
      : findMax
        ? connectionsAsked * SLOTS_PER_CONNECTION
        : connectionsAsked;
  // ghz's -c is workers over one connection: fewer calls in flight than connections is a fair ask, met with
  // as many connections as calls in flight (each connection needs one), and said in the report.
  // A schedule's peak below --connections stays an error: its low levels would leave connections idle anyway.
  if (levels && concurrency < connectionsAsked) {
    throw new OptionError(
      `${levels.source} peaks at ${concurrency} calls in flight, below connections ${connectionsAsked}: every connection needs one (lower --connections)`,
    );
  }
  const connections = Math.min(connectionsAsked, concurrency);
  const notes: string[] = [];
  if (connections < connectionsAsked) {
    const asked = connRaw ? `${connRaw.source} ${connectionsAsked}` : `the default ${connectionsAsked} connections`;
    notes.push(
      `${concRaw?.source ?? "concurrency"} ${concurrency} is below ${asked}: ran ${connections} connection${connections === 1 ? "" : "s"}, one per call in flight`,
    );
  }

  const threadsRaw = s.pick("threads");
  // More threads than connections would leave threads with nothing to drive.
  const threads = Math.min(threadsRaw ? int(threadsRaw, 1) : Math.min(MAX_THREADS_BY_DEFAULT, cpus), connections);
  return { connections, concurrency, threads, notes, findMax, levels };
}

interface RunLoad {
  readonly load: LoadShape;
  /** Measured calls over all threads; undefined when only a duration bounds the run. */
  readonly requests: number | undefined;
  readonly durationMs: number | undefined;
}

/** How long the run lasts and its shape: open (a rate, stages or --find-max's first step) or closed. */
export function runLoadOf(s: Settings, sizes: LoadSizes): RunLoad {
  const { findMax, levels } = sizes;
  const durRaw = s.layered("duration");
  const durationMs = durRaw ? duration(durRaw) : undefined;
  const reqRaw = s.pick("requests");
  // A flag-given --requests beats a preset's duration; with both set, whichever is reached first ends the run.
  const requests = reqRaw ? int(reqRaw, 1) : durationMs === undefined ? DEFAULT_REQUESTS : undefined;
  const durationFinal = reqRaw && durRaw?.source.startsWith("--preset") ? undefined : durationMs;

  const rateRaw = s.pick("rate");
  const staged = findMax ? undefined : stagesOf(s.flags, durationMs);
  const rate = findMax ? findMax.startRps : staged ? undefined : rateRaw ? positive(rateRaw) : undefined;
  const load = staged ? openLoad(staged.stages) : rate !== undefined ? openLoad(rate) : closedLoad(levels?.stages);
  if (!findMax) capRate(s.flags["max-rate"], staged ? staged.peakRps : rate);
  return {
    load,
    requests: staged || levels || findMax ? undefined : requests,
    durationMs: findMax ? findMax.stepMs : staged ? staged.lengthMs : levels ? levels.lengthMs : durationFinal,
  };
}

/**
 * --max-rate: a guard against a typo'd schedule (one zero too many) flooding a shared server; the peak of
 * --rate or the stages above it is refused before any call. (--find-max reads it as the search's cap.)
 */
function capRate(raw: string | undefined, peak: number | undefined): void {
  if (!given(raw)) return;
  const cap = Number(raw.trim());
  if (!Number.isFinite(cap) || cap <= 0) throw new OptionError(`--max-rate: "${raw}" is not a number of calls/s > 0`);
  if (peak === undefined) throw new OptionError("--max-rate needs --rate, --stages, --load-schedule or --find-max");
  if (peak > cap) throw new OptionError(`the schedule peaks at ${peak} calls/s, above --max-rate ${cap}`);
}

/** --stages or ghz's --load-schedule, checked against the flags that would bound the run otherwise. */
function stagesOf(flags: BenchFlags, durationMs: number | undefined) {
  const ghz = given(flags["load-schedule"]) && flags["load-schedule"].trim().toLowerCase() !== "const";
  const loadFlags = ["load-start", "load-step", "load-step-duration", "load-end", "load-max-duration"] as const;
  const stray = loadFlags.find((f) => given(flags[f]));
  if (!ghz && stray) throw new OptionError(`--${stray} needs --load-schedule step or line`);
  if (!given(flags.stages)) {
    if (given(flags["start-rate"])) throw new OptionError("--start-rate needs --stages or --find-max");
    if (!ghz) return undefined;
  }
  const source = ghz ? "--load-schedule" : "--stages";
  if (ghz && given(flags.stages)) throw new OptionError("--stages and --load-schedule exclude each other");
  const clash = named(
    given(flags.rate) && "--rate",
    given(flags.requests) && "-n/--requests",
    !ghz && given(flags.duration) && "-z/--duration",
  );
  if (clash.length > 0)
    throw new OptionError(
      `${source} and ${clash.join(", ")} exclude each other: the schedule sets the rate and the run's length`,
    );
  const r = ghz ? ghzRateStages(flags, durationMs) : kSixStages(flags);
  if (!r.ok) throw new OptionError(r.error);
  const plan = planOf(r.stages);
  return {
    stages: r.stages,
    lengthMs: lengthOf(plan),
    peakRps: Math.max(...r.stages.map((x) => Math.max(x.fromRps, x.toRps))),
  };
}

function ghzRateStages(flags: BenchFlags, durationMs: number | undefined): StagesResult {
  if (!given(flags.duration) || durationMs === undefined)
    throw new OptionError("--load-schedule needs -z/--duration (the run's length, as in ghz)");
  return ghzStages(
    {
      schedule: flags["load-schedule"] as string,
      start: flags["load-start"],
      step: flags["load-step"],
      stepDuration: flags["load-step-duration"],
      end: flags["load-end"],
      maxDuration: flags["load-max-duration"],
    },
    durationMs,
  );
}

function kSixStages(flags: BenchFlags): StagesResult {
  const start = given(flags["start-rate"]) ? Number(flags["start-rate"].trim()) : 0;
  if (!Number.isFinite(start) || start < 0)
    throw new OptionError(`--start-rate: "${flags["start-rate"]}" is not a number ≥ 0`);
  return parseStages(flags.stages as string, start);
}

/**
 * --concurrency-stages or ghz's --concurrency-schedule, checked against the flags that would set the load or
 * bound the run otherwise; undefined without either (ghz's `const` is no schedule).
 */
function concurrencyStagesOf(flags: BenchFlags): Levels | undefined {
  const ghz = given(flags["concurrency-schedule"]) && flags["concurrency-schedule"].trim().toLowerCase() !== "const";
  const ghzFlags = [
    "concurrency-start",
    "concurrency-step",
    "concurrency-step-duration",
    "concurrency-end",
    "concurrency-max-duration",
  ] as const;
  const stray = ghzFlags.find((f) => given(flags[f]));
  if (!ghz && stray) throw new OptionError(`--${stray} needs --concurrency-schedule step or line`);
  if (!ghz && !given(flags["concurrency-stages"])) return undefined;
  const source = ghz ? "--concurrency-schedule" : "--concurrency-stages";
  if (ghz && given(flags["concurrency-stages"]))
    throw new OptionError("--concurrency-stages and --concurrency-schedule exclude each other");
  const clash = named(
    given(flags.rate) && "--rate",
    given(flags.stages) && "--stages",
    given(flags["load-schedule"]) && flags["load-schedule"].trim().toLowerCase() !== "const" && "--load-schedule",
    given(flags.requests) && "-n/--requests",
    given(flags.concurrency) && "--concurrency",
    !ghz && given(flags.duration) && "-z/--duration",
  );
  if (clash.length > 0)
    throw new OptionError(
      `${source} and ${clash.join(", ")} exclude each other: the schedule sets the calls in flight and the run's length (closed loop)`,
    );
  const r = ghz ? ghzLevels(flags) : parseConcurrencyStages(flags["concurrency-stages"] as string);
  if (!r.ok) throw new OptionError(r.error);
  return { source, stages: r.stages, peak: peakOf(r.stages), lengthMs: levelLengthOf(levelPlanOf(r.stages)) };
}

function ghzLevels(flags: BenchFlags): ConcurrencyStagesResult {
  const totalMs = given(flags.duration) ? parseDuration(flags.duration) : undefined;
  if (totalMs === undefined || totalMs <= 0)
    throw new OptionError("--concurrency-schedule needs -z/--duration (the run's length, as in ghz)");
  return ghzConcurrencyStages(
    {
      schedule: flags["concurrency-schedule"] as string,
      start: flags["concurrency-start"],
      step: flags["concurrency-step"],
      stepDuration: flags["concurrency-step-duration"],
      end: flags["concurrency-end"],
      maxDuration: flags["concurrency-max-duration"],
    },
    totalMs,
  );
}

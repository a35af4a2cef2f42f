// A streaming run's thread tallies → the report's `streams` section. Pure.

import { statusName } from "../rpc/status.ts";
import { encode, merge, summarize } from "./histogram.ts";
import { sendLagSummary } from "./pacing.ts";
import type { ThreadResult } from "./records.ts";
import { STREAM_MEASURES, type StreamMeasure } from "./records.ts";
import type { ErrorRow, StreamKind, StreamsReport } from "./types.ts";

const round = (x: number) => Math.round(x * 100) / 100;

/** A streaming run's method and how its streams went, as the runner's stream workload and settings give them. */
export interface StreamRun {
  readonly workload: {
    /** "package.Service/Method". */
    readonly label: string;
    readonly kind: StreamKind;
    /** Replies matched by the sequence they echo (EchoStream), else by order. */
    readonly matchSequence?: boolean;
  };
  readonly settings: {
    readonly messages: number;
    /** Messages per second within a stream; undefined: ping-pong. */
    readonly rate: number | undefined;
  };
}

export function streamsReport(run: StreamRun, threads: readonly ThreadResult[], durationS: number): StreamsReport {
  const { workload, settings } = run;
  const tallies = threads.flatMap((t) => (t.streams ? [t.streams] : []));
  const sum = (f: (t: (typeof tallies)[number]) => number) => tallies.reduce((n, t) => n + f(t), 0);
  const ok = sum((t) => t.ok);
  const failed = sum((t) => t.failed);
  const sent = sum((t) => t.messagesSent);
  const received = sum((t) => t.messagesReceived);
  const errors = new Map<number, ErrorRow>();
  for (const e of tallies.flatMap((t) => t.errors)) {
    const prev = errors.get(e.code);
    errors.set(e.code, {
      code: e.code,
      status: statusName(e.code),
      count: (prev?.count ?? 0) + e.count,
      example: prev?.example ?? e.example,
    });
  }
  const perSecond = (n: number) => (durationS > 0 ? round(n / durationS) : 0);
  const lags = tallies.flatMap((t) => (t.messageSendLag === undefined ? [] : [t.messageSendLag]));
  const lag = lags.length > 0 ? merge(lags) : undefined;
  const merged = Object.fromEntries(
    STREAM_MEASURES.map((m) => {
      const parts = tallies.map((t) => t.histograms[m]).filter((h): h is string => h !== null);
      return [m, parts.length > 0 ? merge(parts) : undefined];
    }),
  ) as Record<StreamMeasure, ReturnType<typeof merge> | undefined>;
  const us = (m: StreamMeasure) => {
    const h = merged[m];
    return h ? summarize(h) : null;
  };
  return {
    method: workload.label,
    kind: workload.kind,
    match: workload.kind !== "bidi" ? null : workload.matchSequence ? "sequence" : "order",
    messages_per_stream: workload.kind === "server" ? null : settings.messages,
    message_rate: settings.rate ?? null,
    total: ok + failed,
    ok,
    failed,
    cancelled: sum((t) => t.cancelled),
    success_rate: ok + failed === 0 ? 0 : round((ok / (ok + failed)) * 100),
    streams_per_second: perSecond(ok + failed),
    messages: {
      sent,
      received,
      sent_per_second: perSecond(sent),
      received_per_second: perSecond(received),
    },
    round_trip_us: us("round_trip"),
    service_time_us: us("service_time"),
    first_message_us: us("first_message"),
    gap_us: us("gap"),
    to_response_us: us("to_response"),
    from_first_send_us: us("from_first_send"),
    duration_us: us("duration"),
    errors: [...errors.values()].sort((a, b) => b.count - a.count),
    histograms: Object.fromEntries(
      STREAM_MEASURES.map((m) => {
        const h = merged[m];
        return [m, h ? encode(h) : null];
      }),
    ) as StreamsReport["histograms"],
    ...(lag ? { message_send_lag_us: sendLagSummary(lag), message_send_lag_histogram: encode(lag) } : {}),
  };
}

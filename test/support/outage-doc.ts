// The parts of a bench JSON report that the fault tests read (schema/bench-report.schema.json).

export interface OutageWindowDoc {
  start: string;
  end: string | null;
  failed: number;
  first_error: string;
}

export interface FaultRunDoc {
  aborted: string | null;
  total: { requests: number; ok: number; failed: number };
  outages?: { count: number; windows: OutageWindowDoc[] };
  streams?: { ok: number; failed: number };
}

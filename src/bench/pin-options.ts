// --pin-cpus, read and checked against the CPUs this process may use before anything runs: a CPU the
// process cannot have is a usage error (exit 2), not a run that quietly floats.
import { allowedCpus } from "./affinity.ts";
import { OptionError } from "./option-values.ts";
import { type PinPlan, parseCpuList, pinPlan } from "./pin-plan.ts";

/** `text`: the flag's value (bench's, or --calibrate's), undefined or empty when not given. */
export function pinOptionsOf(
  text: string | undefined,
  allowed: () => readonly number[] | null = () => allowedCpus("/proc/self/status"),
): { pin?: PinPlan } {
  if (text === undefined || text === "") return {};
  const list = parseCpuList(text);
  if (!list.ok) throw new OptionError(list.error);
  const may = allowed();
  if (may === null) throw new OptionError("--pin-cpus needs Linux (/proc/self/status tells this process's CPUs)");
  const plan = pinPlan(list.cpus, may);
  if (!plan.ok) throw new OptionError(plan.error);
  return { pin: plan.plan };
}

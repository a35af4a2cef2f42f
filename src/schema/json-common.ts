// What the proto3 JSON walk (json.ts) and its scalar readers (json-scalars.ts) share: an input error that
// names the field path, thrown while walking and turned into a Result value at the API border (json.ts).

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export class Misfit extends Error {}
export const fail = (path: string, what: string): never => {
  throw new Misfit(`${path || "."}: ${what}`);
};
export const show = (v: unknown) => (v === undefined ? "nothing" : JSON.stringify(v));

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

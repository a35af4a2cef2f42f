// Single measured calls to the Crypto service: the units `call sign|verify|pubkey|keys|smoke` are made of.
import { encodeMessage, type UnaryMethod } from "../api/codec.ts";
import {
  GetPublicKeyMethod,
  type GetPublicKeyRequest,
  type GetPublicKeyResponse,
  ListKeysMethod,
  type ListKeysResponse,
  SignMethod,
  type SignRequest,
  type SignResponse,
  VerifyMethod,
  type VerifyRequest,
  type VerifyResponse,
} from "../api/crypto.ts";
import type { RpcChannel } from "../rpc/channel.ts";
import { fail, type Result, Status } from "../rpc/status.ts";

export interface Measured<T> {
  readonly result: Result<T>;
  /** Client-side round trip, µs. */
  readonly rttMicros: number;
}

type Props<T> = { [K in keyof T]?: T[K] | null };

async function measuredCall<Req, Res>(
  channel: RpcChannel,
  method: UnaryMethod<Req, Res>,
  request: Props<Req>,
  timeoutMs: number,
): Promise<Measured<Res>> {
  const bytes = encodeMessage(method.request, request as Req);
  const t0 = performance.now();
  const r = await channel.unary(method.path, bytes, { timeoutMs });
  const rttMicros = (performance.now() - t0) * 1000;
  if (!r.ok) return { result: r, rttMicros };
  try {
    return { result: { ok: true, value: method.response.decode(r.value) }, rttMicros };
  } catch (err) {
    return { result: fail(Status.INTERNAL, `cannot decode response: ${(err as Error).message}`), rttMicros };
  }
}

export function sign(channel: RpcChannel, req: Props<SignRequest>, timeoutMs: number): Promise<Measured<SignResponse>> {
  return measuredCall(channel, SignMethod, req, timeoutMs);
}

export function verify(
  channel: RpcChannel,
  req: Props<VerifyRequest>,
  timeoutMs: number,
): Promise<Measured<VerifyResponse>> {
  return measuredCall(channel, VerifyMethod, req, timeoutMs);
}

export function getPublicKey(
  channel: RpcChannel,
  req: Props<GetPublicKeyRequest>,
  timeoutMs: number,
): Promise<Measured<GetPublicKeyResponse>> {
  return measuredCall(channel, GetPublicKeyMethod, req, timeoutMs);
}

export function listKeys(channel: RpcChannel, timeoutMs: number): Promise<Measured<ListKeysResponse>> {
  return measuredCall(channel, ListKeysMethod, {}, timeoutMs);
}

import { grpcperf } from "../gen/pb.js";
import type { UnaryMethod } from "./codec.ts";

export const SignRequest = grpcperf.v1.SignRequest;
export type SignRequest = grpcperf.v1.SignRequest;
export const SignResponse = grpcperf.v1.SignResponse;
export type SignResponse = grpcperf.v1.SignResponse;
export const VerifyRequest = grpcperf.v1.VerifyRequest;
export type VerifyRequest = grpcperf.v1.VerifyRequest;
export const VerifyResponse = grpcperf.v1.VerifyResponse;
export type VerifyResponse = grpcperf.v1.VerifyResponse;
export const GetPublicKeyRequest = grpcperf.v1.GetPublicKeyRequest;
export type GetPublicKeyRequest = grpcperf.v1.GetPublicKeyRequest;
export const GetPublicKeyResponse = grpcperf.v1.GetPublicKeyResponse;
export type GetPublicKeyResponse = grpcperf.v1.GetPublicKeyResponse;
export const ListKeysRequest = grpcperf.v1.ListKeysRequest;
export type ListKeysRequest = grpcperf.v1.ListKeysRequest;
export const ListKeysResponse = grpcperf.v1.ListKeysResponse;
export type ListKeysResponse = grpcperf.v1.ListKeysResponse;
export const KeyInfo = grpcperf.v1.KeyInfo;
export type KeyInfo = grpcperf.v1.KeyInfo;

const CRYPTO_SERVICE = "grpcperf.v1.Crypto";

export const SignMethod: UnaryMethod<SignRequest, SignResponse> = {
  path: `/${CRYPTO_SERVICE}/Sign`,
  request: SignRequest,
  response: SignResponse,
};

export const VerifyMethod: UnaryMethod<VerifyRequest, VerifyResponse> = {
  path: `/${CRYPTO_SERVICE}/Verify`,
  request: VerifyRequest,
  response: VerifyResponse,
};

export const GetPublicKeyMethod: UnaryMethod<GetPublicKeyRequest, GetPublicKeyResponse> = {
  path: `/${CRYPTO_SERVICE}/GetPublicKey`,
  request: GetPublicKeyRequest,
  response: GetPublicKeyResponse,
};

export const ListKeysMethod: UnaryMethod<ListKeysRequest, ListKeysResponse> = {
  path: `/${CRYPTO_SERVICE}/ListKeys`,
  request: ListKeysRequest,
  response: ListKeysResponse,
};

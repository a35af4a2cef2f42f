import * as $protobuf from "protobufjs";
import Long = require("long");

export namespace grpcperf {

    namespace v1 {

        class Crypto extends $protobuf.rpc.Service {
            constructor(rpcImpl: $protobuf.RPCImpl, requestDelimited?: boolean, responseDelimited?: boolean);
            static create(rpcImpl: $protobuf.RPCImpl, requestDelimited?: boolean, responseDelimited?: boolean): Crypto;
            sign: grpcperf.v1.Crypto.Sign;
            verify: grpcperf.v1.Crypto.Verify;
            getPublicKey: grpcperf.v1.Crypto.GetPublicKey;
            listKeys: grpcperf.v1.Crypto.ListKeys;
        }

        namespace Crypto {
            type SignCallback = (error: (Error|null), response?: grpcperf.v1.SignResponse) => void;
            type Sign = {
              (request: grpcperf.v1.ISignRequest, callback: grpcperf.v1.Crypto.SignCallback): void;
              (request: grpcperf.v1.ISignRequest): Promise<grpcperf.v1.SignResponse>;
              readonly name: "Sign";
              readonly path: "/grpcperf.v1.Crypto/Sign";
              readonly requestType: "SignRequest";
              readonly responseType: "SignResponse";
              readonly requestStream: undefined;
              readonly responseStream: undefined;
            };
            type VerifyCallback = (error: (Error|null), response?: grpcperf.v1.VerifyResponse) => void;
            type Verify = {
              (request: grpcperf.v1.IVerifyRequest, callback: grpcperf.v1.Crypto.VerifyCallback): void;
              (request: grpcperf.v1.IVerifyRequest): Promise<grpcperf.v1.VerifyResponse>;
              readonly name: "Verify";
              readonly path: "/grpcperf.v1.Crypto/Verify";
              readonly requestType: "VerifyRequest";
              readonly responseType: "VerifyResponse";
              readonly requestStream: undefined;
              readonly responseStream: undefined;
            };
            type GetPublicKeyCallback = (error: (Error|null), response?: grpcperf.v1.GetPublicKeyResponse) => void;
            type GetPublicKey = {
              (request: grpcperf.v1.IGetPublicKeyRequest, callback: grpcperf.v1.Crypto.GetPublicKeyCallback): void;
              (request: grpcperf.v1.IGetPublicKeyRequest): Promise<grpcperf.v1.GetPublicKeyResponse>;
              readonly name: "GetPublicKey";
              readonly path: "/grpcperf.v1.Crypto/GetPublicKey";
              readonly requestType: "GetPublicKeyRequest";
              readonly responseType: "GetPublicKeyResponse";
              readonly requestStream: undefined;
              readonly responseStream: undefined;
            };
            type ListKeysCallback = (error: (Error|null), response?: grpcperf.v1.ListKeysResponse) => void;
            type ListKeys = {
              (request: grpcperf.v1.IListKeysRequest, callback: grpcperf.v1.Crypto.ListKeysCallback): void;
              (request: grpcperf.v1.IListKeysRequest): Promise<grpcperf.v1.ListKeysResponse>;
              readonly name: "ListKeys";
              readonly path: "/grpcperf.v1.Crypto/ListKeys";
              readonly requestType: "ListKeysRequest";
              readonly responseType: "ListKeysResponse";
              readonly requestStream: undefined;
              readonly responseStream: undefined;
            };
        }

        enum Algorithm {
            ALGORITHM_UNSPECIFIED = 0,
            RSA_PKCS1_SHA256 = 1,
            RSA_PSS_SHA256 = 2,
            ECDSA_P256_SHA256 = 3,
            ECDSA_P384_SHA384 = 4
        }

        enum SignatureFormat {
            SIGNATURE_FORMAT_UNSPECIFIED = 0,
            SIGNATURE_FORMAT_DER = 1,
            SIGNATURE_FORMAT_RAW = 2
        }

        interface ISignRequest extends grpcperf.v1.SignRequest.$Properties {
        }

        class SignRequest {
            constructor(properties?: grpcperf.v1.SignRequest.$Properties);
            $unknowns?: Uint8Array[];
            keyId: string;
            algorithm: grpcperf.v1.Algorithm;
            message?: (Uint8Array|null);
            digest?: (Uint8Array|null);
            format: grpcperf.v1.SignatureFormat;
            input?: ("message"|"digest");
            static create(properties: grpcperf.v1.SignRequest.$Shape): grpcperf.v1.SignRequest & grpcperf.v1.SignRequest.$Shape;
            static create(properties?: grpcperf.v1.SignRequest.$Properties): grpcperf.v1.SignRequest;
            static encode(message: grpcperf.v1.SignRequest.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): grpcperf.v1.SignRequest & grpcperf.v1.SignRequest.$Shape;
        }

        namespace SignRequest {
            interface $Properties {
                keyId?: (string|null);
                algorithm?: (grpcperf.v1.Algorithm|null);
                message?: (Uint8Array|null);
                digest?: (Uint8Array|null);
                format?: (grpcperf.v1.SignatureFormat|null);
                input?: ("message"|"digest");
                $unknowns?: Uint8Array[];
            }
            type $Shape = {
              keyId?: string|null;
              algorithm?: grpcperf.v1.Algorithm|null;
              message?: Uint8Array|null;
              digest?: Uint8Array|null;
              format?: grpcperf.v1.SignatureFormat|null;
              $unknowns?: Uint8Array[];
            } & (
              ({ input?: undefined; message?: null; digest?: null }|{ input?: "message"; message: Uint8Array; digest?: null }|{ input?: "digest"; message?: null; digest: Uint8Array })
            );
        }

        interface ISignResponse extends grpcperf.v1.SignResponse.$Properties {
        }

        class SignResponse {
            constructor(properties?: grpcperf.v1.SignResponse.$Properties);
            $unknowns?: Uint8Array[];
            signature: Uint8Array;
            algorithm: grpcperf.v1.Algorithm;
            keyId: string;
            format: grpcperf.v1.SignatureFormat;
            static create(properties: grpcperf.v1.SignResponse.$Shape): grpcperf.v1.SignResponse & grpcperf.v1.SignResponse.$Shape;
            static create(properties?: grpcperf.v1.SignResponse.$Properties): grpcperf.v1.SignResponse;
            static encode(message: grpcperf.v1.SignResponse.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): grpcperf.v1.SignResponse & grpcperf.v1.SignResponse.$Shape;
        }

        namespace SignResponse {
            interface $Properties {
                signature?: (Uint8Array|null);
                algorithm?: (grpcperf.v1.Algorithm|null);
                keyId?: (string|null);
                format?: (grpcperf.v1.SignatureFormat|null);
                $unknowns?: Uint8Array[];
            }
            type $Shape = grpcperf.v1.SignResponse.$Properties;
        }

        interface IVerifyRequest extends grpcperf.v1.VerifyRequest.$Properties {
        }

        class VerifyRequest {
            constructor(properties?: grpcperf.v1.VerifyRequest.$Properties);
            $unknowns?: Uint8Array[];
            keyId: string;
            algorithm: grpcperf.v1.Algorithm;
            message?: (Uint8Array|null);
            digest?: (Uint8Array|null);
            signature: Uint8Array;
            format: grpcperf.v1.SignatureFormat;
            input?: ("message"|"digest");
            static create(properties: grpcperf.v1.VerifyRequest.$Shape): grpcperf.v1.VerifyRequest & grpcperf.v1.VerifyRequest.$Shape;
            static create(properties?: grpcperf.v1.VerifyRequest.$Properties): grpcperf.v1.VerifyRequest;
            static encode(message: grpcperf.v1.VerifyRequest.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): grpcperf.v1.VerifyRequest & grpcperf.v1.VerifyRequest.$Shape;
        }

        namespace VerifyRequest {
            interface $Properties {
                keyId?: (string|null);
                algorithm?: (grpcperf.v1.Algorithm|null);
                message?: (Uint8Array|null);
                digest?: (Uint8Array|null);
                signature?: (Uint8Array|null);
                format?: (grpcperf.v1.SignatureFormat|null);
                input?: ("message"|"digest");
                $unknowns?: Uint8Array[];
            }
            type $Shape = {
              keyId?: string|null;
              algorithm?: grpcperf.v1.Algorithm|null;
              message?: Uint8Array|null;
              digest?: Uint8Array|null;
              signature?: Uint8Array|null;
              format?: grpcperf.v1.SignatureFormat|null;
              $unknowns?: Uint8Array[];
            } & (
              ({ input?: undefined; message?: null; digest?: null }|{ input?: "message"; message: Uint8Array; digest?: null }|{ input?: "digest"; message?: null; digest: Uint8Array })
            );
        }

        interface IVerifyResponse extends grpcperf.v1.VerifyResponse.$Properties {
        }

        class VerifyResponse {
            constructor(properties?: grpcperf.v1.VerifyResponse.$Properties);
            $unknowns?: Uint8Array[];
            valid: boolean;
            algorithm: grpcperf.v1.Algorithm;
            keyId: string;
            static create(properties: grpcperf.v1.VerifyResponse.$Shape): grpcperf.v1.VerifyResponse & grpcperf.v1.VerifyResponse.$Shape;
            static create(properties?: grpcperf.v1.VerifyResponse.$Properties): grpcperf.v1.VerifyResponse;
            static encode(message: grpcperf.v1.VerifyResponse.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): grpcperf.v1.VerifyResponse & grpcperf.v1.VerifyResponse.$Shape;
        }

        namespace VerifyResponse {
            interface $Properties {
                valid?: (boolean|null);
                algorithm?: (grpcperf.v1.Algorithm|null);
                keyId?: (string|null);
                $unknowns?: Uint8Array[];
            }
            type $Shape = grpcperf.v1.VerifyResponse.$Properties;
        }

        interface IGetPublicKeyRequest extends grpcperf.v1.GetPublicKeyRequest.$Properties {
        }

        class GetPublicKeyRequest {
            constructor(properties?: grpcperf.v1.GetPublicKeyRequest.$Properties);
            $unknowns?: Uint8Array[];
            keyId: string;
            algorithm: grpcperf.v1.Algorithm;
            static create(properties: grpcperf.v1.GetPublicKeyRequest.$Shape): grpcperf.v1.GetPublicKeyRequest & grpcperf.v1.GetPublicKeyRequest.$Shape;
            static create(properties?: grpcperf.v1.GetPublicKeyRequest.$Properties): grpcperf.v1.GetPublicKeyRequest;
            static encode(message: grpcperf.v1.GetPublicKeyRequest.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): grpcperf.v1.GetPublicKeyRequest & grpcperf.v1.GetPublicKeyRequest.$Shape;
        }

        namespace GetPublicKeyRequest {
            interface $Properties {
                keyId?: (string|null);
                algorithm?: (grpcperf.v1.Algorithm|null);
                $unknowns?: Uint8Array[];
            }
            type $Shape = grpcperf.v1.GetPublicKeyRequest.$Properties;
        }

        interface IGetPublicKeyResponse extends grpcperf.v1.GetPublicKeyResponse.$Properties {
        }

        class GetPublicKeyResponse {
            constructor(properties?: grpcperf.v1.GetPublicKeyResponse.$Properties);
            $unknowns?: Uint8Array[];
            keyId: string;
            algorithm: grpcperf.v1.Algorithm;
            spkiDer: Uint8Array;
            pem: string;
            static create(properties: grpcperf.v1.GetPublicKeyResponse.$Shape): grpcperf.v1.GetPublicKeyResponse & grpcperf.v1.GetPublicKeyResponse.$Shape;
            static create(properties?: grpcperf.v1.GetPublicKeyResponse.$Properties): grpcperf.v1.GetPublicKeyResponse;
            static encode(message: grpcperf.v1.GetPublicKeyResponse.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): grpcperf.v1.GetPublicKeyResponse & grpcperf.v1.GetPublicKeyResponse.$Shape;
        }

        namespace GetPublicKeyResponse {
            interface $Properties {
                keyId?: (string|null);
                algorithm?: (grpcperf.v1.Algorithm|null);
                spkiDer?: (Uint8Array|null);
                pem?: (string|null);
                $unknowns?: Uint8Array[];
            }
            type $Shape = grpcperf.v1.GetPublicKeyResponse.$Properties;
        }

        interface IListKeysRequest extends grpcperf.v1.ListKeysRequest.$Properties {
        }

        class ListKeysRequest {
            constructor(properties?: grpcperf.v1.ListKeysRequest.$Properties);
            $unknowns?: Uint8Array[];
            static create(properties: grpcperf.v1.ListKeysRequest.$Shape): grpcperf.v1.ListKeysRequest & grpcperf.v1.ListKeysRequest.$Shape;
            static create(properties?: grpcperf.v1.ListKeysRequest.$Properties): grpcperf.v1.ListKeysRequest;
            static encode(message: grpcperf.v1.ListKeysRequest.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): grpcperf.v1.ListKeysRequest & grpcperf.v1.ListKeysRequest.$Shape;
        }

        namespace ListKeysRequest {
            interface $Properties {
                $unknowns?: Uint8Array[];
            }
            type $Shape = grpcperf.v1.ListKeysRequest.$Properties;
        }

        interface IKeyInfo extends grpcperf.v1.KeyInfo.$Properties {
        }

        class KeyInfo {
            constructor(properties?: grpcperf.v1.KeyInfo.$Properties);
            $unknowns?: Uint8Array[];
            keyId: string;
            algorithm: grpcperf.v1.Algorithm;
            bits: number;
            static create(properties: grpcperf.v1.KeyInfo.$Shape): grpcperf.v1.KeyInfo & grpcperf.v1.KeyInfo.$Shape;
            static create(properties?: grpcperf.v1.KeyInfo.$Properties): grpcperf.v1.KeyInfo;
            static encode(message: grpcperf.v1.KeyInfo.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): grpcperf.v1.KeyInfo & grpcperf.v1.KeyInfo.$Shape;
        }

        namespace KeyInfo {
            interface $Properties {
                keyId?: (string|null);
                algorithm?: (grpcperf.v1.Algorithm|null);
                bits?: (number|null);
                $unknowns?: Uint8Array[];
            }
            type $Shape = grpcperf.v1.KeyInfo.$Properties;
        }

        interface IListKeysResponse extends grpcperf.v1.ListKeysResponse.$Properties {
        }

        class ListKeysResponse {
            constructor(properties?: grpcperf.v1.ListKeysResponse.$Properties);
            $unknowns?: Uint8Array[];
            keys: grpcperf.v1.KeyInfo.$Properties[];
            static create(properties: grpcperf.v1.ListKeysResponse.$Shape): grpcperf.v1.ListKeysResponse & grpcperf.v1.ListKeysResponse.$Shape;
            static create(properties?: grpcperf.v1.ListKeysResponse.$Properties): grpcperf.v1.ListKeysResponse;
            static encode(message: grpcperf.v1.ListKeysResponse.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): grpcperf.v1.ListKeysResponse & grpcperf.v1.ListKeysResponse.$Shape;
        }

        namespace ListKeysResponse {
            interface $Properties {
                keys?: (grpcperf.v1.KeyInfo.$Properties[]|null);
                $unknowns?: Uint8Array[];
            }
            type $Shape = grpcperf.v1.ListKeysResponse.$Properties;
        }

        class Echo extends $protobuf.rpc.Service {
            constructor(rpcImpl: $protobuf.RPCImpl, requestDelimited?: boolean, responseDelimited?: boolean);
            static create(rpcImpl: $protobuf.RPCImpl, requestDelimited?: boolean, responseDelimited?: boolean): Echo;
            echo: grpcperf.v1.Echo.Echo;
            echoStream: grpcperf.v1.Echo.EchoStream;
        }

        namespace Echo {
            type EchoCallback = (error: (Error|null), response?: grpcperf.v1.EchoResponse) => void;
            type Echo = {
              (request: grpcperf.v1.IEchoRequest, callback: grpcperf.v1.Echo.EchoCallback): void;
              (request: grpcperf.v1.IEchoRequest): Promise<grpcperf.v1.EchoResponse>;
              readonly name: "Echo";
              readonly path: "/grpcperf.v1.Echo/Echo";
              readonly requestType: "EchoRequest";
              readonly responseType: "EchoResponse";
              readonly requestStream: undefined;
              readonly responseStream: undefined;
            };
            type EchoStreamCallback = (error: (Error|null), response?: grpcperf.v1.EchoResponse) => void;
            type EchoStream = {
              (request: grpcperf.v1.IEchoRequest, callback: grpcperf.v1.Echo.EchoStreamCallback): void;
              (request: grpcperf.v1.IEchoRequest): Promise<grpcperf.v1.EchoResponse>;
              readonly name: "EchoStream";
              readonly path: "/grpcperf.v1.Echo/EchoStream";
              readonly requestType: "EchoRequest";
              readonly responseType: "EchoResponse";
              readonly requestStream: true;
              readonly responseStream: true;
            };
        }

        interface IEchoRequest extends grpcperf.v1.EchoRequest.$Properties {
        }

        class EchoRequest {
            constructor(properties?: grpcperf.v1.EchoRequest.$Properties);
            $unknowns?: Uint8Array[];
            payload: Uint8Array;
            sequence: (number|Long);
            clientSendUnixNanos: (number|Long);
            serverDelayUs: number;
            serverBusyUs: number;
            static create(properties: grpcperf.v1.EchoRequest.$Shape): grpcperf.v1.EchoRequest & grpcperf.v1.EchoRequest.$Shape;
            static create(properties?: grpcperf.v1.EchoRequest.$Properties): grpcperf.v1.EchoRequest;
            static encode(message: grpcperf.v1.EchoRequest.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): grpcperf.v1.EchoRequest & grpcperf.v1.EchoRequest.$Shape;
        }

        namespace EchoRequest {
            interface $Properties {
                payload?: (Uint8Array|null);
                sequence?: (number|Long|null);
                clientSendUnixNanos?: (number|Long|null);
                serverDelayUs?: (number|null);
                serverBusyUs?: (number|null);
                $unknowns?: Uint8Array[];
            }
            type $Shape = grpcperf.v1.EchoRequest.$Properties;
        }

        interface IEchoResponse extends grpcperf.v1.EchoResponse.$Properties {
        }

        class EchoResponse {
            constructor(properties?: grpcperf.v1.EchoResponse.$Properties);
            $unknowns?: Uint8Array[];
            payload: Uint8Array;
            sequence: (number|Long);
            clientSendUnixNanos: (number|Long);
            serverRecvUnixNanos: (number|Long);
            serverSendUnixNanos: (number|Long);
            static create(properties: grpcperf.v1.EchoResponse.$Shape): grpcperf.v1.EchoResponse & grpcperf.v1.EchoResponse.$Shape;
            static create(properties?: grpcperf.v1.EchoResponse.$Properties): grpcperf.v1.EchoResponse;
            static encode(message: grpcperf.v1.EchoResponse.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): grpcperf.v1.EchoResponse & grpcperf.v1.EchoResponse.$Shape;
        }

        namespace EchoResponse {
            interface $Properties {
                payload?: (Uint8Array|null);
                sequence?: (number|Long|null);
                clientSendUnixNanos?: (number|Long|null);
                serverRecvUnixNanos?: (number|Long|null);
                serverSendUnixNanos?: (number|Long|null);
                $unknowns?: Uint8Array[];
            }
            type $Shape = grpcperf.v1.EchoResponse.$Properties;
        }
    }
}

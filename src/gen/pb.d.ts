import * as $protobuf from "protobufjs";
import Long = require("long");

export namespace grpcperf {

    namespace v1 {

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

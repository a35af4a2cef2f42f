/*eslint-disable block-scoped-var, id-length, no-control-regex, no-magic-numbers, no-mixed-operators, no-prototype-builtins, no-redeclare, no-shadow, no-var, sort-vars, default-case, jsdoc/require-param*/
import $protobuf from "protobufjs/minimal.js";

const $Reader = $protobuf.Reader, $Writer = $protobuf.Writer, $util = $protobuf.util;
const $Object = $util.global.Object, $undefined = $util.global.undefined, $Error = $util.global.Error, $RangeError = $util.global.RangeError;

const $root = $protobuf.roots["default"] || ($protobuf.roots["default"] = {});

export const grpcperf = $root.grpcperf = (() => {

    const grpcperf = {};

    grpcperf.v1 = (function() {

        const v1 = {};

        v1.Echo = (function() {

            const Echo = function(rpcImpl, requestDelimited, responseDelimited) {
                $protobuf.rpc.Service.call(this, rpcImpl, requestDelimited, responseDelimited);
            };

            $Object.defineProperty(Echo.prototype = $Object.create($protobuf.rpc.Service.prototype), "constructor", { value: Echo, writable: true, enumerable: false, configurable: true });

            Echo.create = function(rpcImpl, requestDelimited, responseDelimited) {
                return new this(rpcImpl, requestDelimited, responseDelimited);
            };



            $Object.defineProperties(Echo.prototype.echo = function(request, callback) {
                return $protobuf.rpc.Service.prototype.rpcCall.call(this, Echo.prototype.echo, $root.grpcperf.v1.EchoRequest, $root.grpcperf.v1.EchoResponse, request, callback);
            }, {
                name: { value: "Echo" },
                path: { value: "/grpcperf.v1.Echo/Echo" },
                requestType: { value: "EchoRequest" },
                responseType: { value: "EchoResponse" },
                requestStream: { value: $undefined },
                responseStream: { value: $undefined }
            });



            $Object.defineProperties(Echo.prototype.echoStream = function(request, callback) {
                return $protobuf.rpc.Service.prototype.rpcCall.call(this, Echo.prototype.echoStream, $root.grpcperf.v1.EchoRequest, $root.grpcperf.v1.EchoResponse, request, callback);
            }, {
                name: { value: "EchoStream" },
                path: { value: "/grpcperf.v1.Echo/EchoStream" },
                requestType: { value: "EchoRequest" },
                responseType: { value: "EchoResponse" },
                requestStream: { value: true },
                responseStream: { value: true }
            });

            return Echo;
        })();

        v1.EchoRequest = (function() {

            const EchoRequest = function (properties) {
                if (properties)
                    for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            };

            EchoRequest.prototype.payload = $util.newBuffer([]);
            EchoRequest.prototype.sequence = $util.Long ? $util.Long.fromBits(0,0,true) : 0;
            EchoRequest.prototype.clientSendUnixNanos = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

            EchoRequest.create = function(properties) {
                return new EchoRequest(properties);
            };

            EchoRequest.encode = function (message, writer, _depth) {
                if (!writer)
                    writer = $Writer.create();
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                if (message.payload != null && $Object.hasOwnProperty.call(message, "payload") && message.payload.length)
                    writer.uint32(10).bytes(message.payload);
                if (message.sequence != null && $Object.hasOwnProperty.call(message, "sequence") && (typeof message.sequence === "object" ? message.sequence.low || message.sequence.high : message.sequence !== 0))
                    writer.uint32(16).uint64(message.sequence);
                if (message.clientSendUnixNanos != null && $Object.hasOwnProperty.call(message, "clientSendUnixNanos") && (typeof message.clientSendUnixNanos === "object" ? message.clientSendUnixNanos.low || message.clientSendUnixNanos.high : message.clientSendUnixNanos !== 0))
                    writer.uint32(24).int64(message.clientSendUnixNanos);
                if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                    for (let i = 0; i < message.$unknowns.length; ++i)
                        writer.raw(message.$unknowns[i]);
                return writer;
            };

            EchoRequest.decode = function (reader, length, _end, _depth, _target) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $Reader.recursionLimit)
                    throw $Error("max depth exceeded");
                let end, message, value;
                if (length === $undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw $RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = _target || new $root.grpcperf.v1.EchoRequest();
                while (reader.pos < end) {
                    let start = reader.pos;
                    let tag = reader.tag();
                    if (tag === _end) {
                        _end = $undefined;
                        break;
                    }
                    let wireType = tag & 7;
                    switch (tag >>>= 3) {
                    case 1: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.bytes()).length)
                                message.payload = value;
                            else
                                delete message.payload;
                            continue;
                        }
                    case 2: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                message.sequence = value;
                            else
                                delete message.sequence;
                            continue;
                        }
                    case 3: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.int64()) === "object" ? value.low || value.high : value !== 0)
                                message.clientSendUnixNanos = value;
                            else
                                delete message.clientSendUnixNanos;
                            continue;
                        }
                    }
                    reader.skipType(wireType, _depth, tag);
                    if (!reader.discardUnknown) {
                        $util.makeProp(message, "$unknowns", false);
                        (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                    }
                }
                if (length !== $undefined) {
                    if (reader.pos !== end)
                        throw $RangeError("index out of range");
                    reader.len = length;
                }
                if (_end !== $undefined)
                    throw $Error("missing end group");
                return message;
            };

            return EchoRequest;
        })();

        v1.EchoResponse = (function() {

            const EchoResponse = function (properties) {
                if (properties)
                    for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            };

            EchoResponse.prototype.payload = $util.newBuffer([]);
            EchoResponse.prototype.sequence = $util.Long ? $util.Long.fromBits(0,0,true) : 0;
            EchoResponse.prototype.clientSendUnixNanos = $util.Long ? $util.Long.fromBits(0,0,false) : 0;
            EchoResponse.prototype.serverRecvUnixNanos = $util.Long ? $util.Long.fromBits(0,0,false) : 0;
            EchoResponse.prototype.serverSendUnixNanos = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

            EchoResponse.create = function(properties) {
                return new EchoResponse(properties);
            };

            EchoResponse.encode = function (message, writer, _depth) {
                if (!writer)
                    writer = $Writer.create();
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                if (message.payload != null && $Object.hasOwnProperty.call(message, "payload") && message.payload.length)
                    writer.uint32(10).bytes(message.payload);
                if (message.sequence != null && $Object.hasOwnProperty.call(message, "sequence") && (typeof message.sequence === "object" ? message.sequence.low || message.sequence.high : message.sequence !== 0))
                    writer.uint32(16).uint64(message.sequence);
                if (message.clientSendUnixNanos != null && $Object.hasOwnProperty.call(message, "clientSendUnixNanos") && (typeof message.clientSendUnixNanos === "object" ? message.clientSendUnixNanos.low || message.clientSendUnixNanos.high : message.clientSendUnixNanos !== 0))
                    writer.uint32(24).int64(message.clientSendUnixNanos);
                if (message.serverRecvUnixNanos != null && $Object.hasOwnProperty.call(message, "serverRecvUnixNanos") && (typeof message.serverRecvUnixNanos === "object" ? message.serverRecvUnixNanos.low || message.serverRecvUnixNanos.high : message.serverRecvUnixNanos !== 0))
                    writer.uint32(32).int64(message.serverRecvUnixNanos);
                if (message.serverSendUnixNanos != null && $Object.hasOwnProperty.call(message, "serverSendUnixNanos") && (typeof message.serverSendUnixNanos === "object" ? message.serverSendUnixNanos.low || message.serverSendUnixNanos.high : message.serverSendUnixNanos !== 0))
                    writer.uint32(40).int64(message.serverSendUnixNanos);
                if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                    for (let i = 0; i < message.$unknowns.length; ++i)
                        writer.raw(message.$unknowns[i]);
                return writer;
            };

            EchoResponse.decode = function (reader, length, _end, _depth, _target) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $Reader.recursionLimit)
                    throw $Error("max depth exceeded");
                let end, message, value;
                if (length === $undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw $RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = _target || new $root.grpcperf.v1.EchoResponse();
                while (reader.pos < end) {
                    let start = reader.pos;
                    let tag = reader.tag();
                    if (tag === _end) {
                        _end = $undefined;
                        break;
                    }
                    let wireType = tag & 7;
                    switch (tag >>>= 3) {
                    case 1: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.bytes()).length)
                                message.payload = value;
                            else
                                delete message.payload;
                            continue;
                        }
                    case 2: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                message.sequence = value;
                            else
                                delete message.sequence;
                            continue;
                        }
                    case 3: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.int64()) === "object" ? value.low || value.high : value !== 0)
                                message.clientSendUnixNanos = value;
                            else
                                delete message.clientSendUnixNanos;
                            continue;
                        }
                    case 4: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.int64()) === "object" ? value.low || value.high : value !== 0)
                                message.serverRecvUnixNanos = value;
                            else
                                delete message.serverRecvUnixNanos;
                            continue;
                        }
                    case 5: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.int64()) === "object" ? value.low || value.high : value !== 0)
                                message.serverSendUnixNanos = value;
                            else
                                delete message.serverSendUnixNanos;
                            continue;
                        }
                    }
                    reader.skipType(wireType, _depth, tag);
                    if (!reader.discardUnknown) {
                        $util.makeProp(message, "$unknowns", false);
                        (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                    }
                }
                if (length !== $undefined) {
                    if (reader.pos !== end)
                        throw $RangeError("index out of range");
                    reader.len = length;
                }
                if (_end !== $undefined)
                    throw $Error("missing end group");
                return message;
            };

            return EchoResponse;
        })();

        return v1;
    })();

    return grpcperf;
})();

export {
  $root as default
};

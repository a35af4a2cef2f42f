/*eslint-disable block-scoped-var, id-length, no-control-regex, no-magic-numbers, no-mixed-operators, no-prototype-builtins, no-redeclare, no-shadow, no-var, sort-vars, default-case, jsdoc/require-param*/
import $protobuf from "protobufjs/minimal.js";

const $Reader = $protobuf.Reader, $Writer = $protobuf.Writer, $util = $protobuf.util;
const $Object = $util.global.Object, $undefined = $util.global.undefined, $Error = $util.global.Error, $RangeError = $util.global.RangeError;

const $root = $protobuf.roots["default"] || ($protobuf.roots["default"] = {});

export const grpcperf = $root.grpcperf = (() => {

    const grpcperf = {};

    grpcperf.v1 = (function() {

        const v1 = {};

        v1.Crypto = (function() {

            const Crypto = function(rpcImpl, requestDelimited, responseDelimited) {
                $protobuf.rpc.Service.call(this, rpcImpl, requestDelimited, responseDelimited);
            };

            $Object.defineProperty(Crypto.prototype = $Object.create($protobuf.rpc.Service.prototype), "constructor", { value: Crypto, writable: true, enumerable: false, configurable: true });

            Crypto.create = function(rpcImpl, requestDelimited, responseDelimited) {
                return new this(rpcImpl, requestDelimited, responseDelimited);
            };



            $Object.defineProperties(Crypto.prototype.sign = function(request, callback) {
                return $protobuf.rpc.Service.prototype.rpcCall.call(this, Crypto.prototype.sign, $root.grpcperf.v1.SignRequest, $root.grpcperf.v1.SignResponse, request, callback);
            }, {
                name: { value: "Sign" },
                path: { value: "/grpcperf.v1.Crypto/Sign" },
                requestType: { value: "SignRequest" },
                responseType: { value: "SignResponse" },
                requestStream: { value: $undefined },
                responseStream: { value: $undefined }
            });



            $Object.defineProperties(Crypto.prototype.verify = function(request, callback) {
                return $protobuf.rpc.Service.prototype.rpcCall.call(this, Crypto.prototype.verify, $root.grpcperf.v1.VerifyRequest, $root.grpcperf.v1.VerifyResponse, request, callback);
            }, {
                name: { value: "Verify" },
                path: { value: "/grpcperf.v1.Crypto/Verify" },
                requestType: { value: "VerifyRequest" },
                responseType: { value: "VerifyResponse" },
                requestStream: { value: $undefined },
                responseStream: { value: $undefined }
            });



            $Object.defineProperties(Crypto.prototype.getPublicKey = function(request, callback) {
                return $protobuf.rpc.Service.prototype.rpcCall.call(this, Crypto.prototype.getPublicKey, $root.grpcperf.v1.GetPublicKeyRequest, $root.grpcperf.v1.GetPublicKeyResponse, request, callback);
            }, {
                name: { value: "GetPublicKey" },
                path: { value: "/grpcperf.v1.Crypto/GetPublicKey" },
                requestType: { value: "GetPublicKeyRequest" },
                responseType: { value: "GetPublicKeyResponse" },
                requestStream: { value: $undefined },
                responseStream: { value: $undefined }
            });



            $Object.defineProperties(Crypto.prototype.listKeys = function(request, callback) {
                return $protobuf.rpc.Service.prototype.rpcCall.call(this, Crypto.prototype.listKeys, $root.grpcperf.v1.ListKeysRequest, $root.grpcperf.v1.ListKeysResponse, request, callback);
            }, {
                name: { value: "ListKeys" },
                path: { value: "/grpcperf.v1.Crypto/ListKeys" },
                requestType: { value: "ListKeysRequest" },
                responseType: { value: "ListKeysResponse" },
                requestStream: { value: $undefined },
                responseStream: { value: $undefined }
            });

            return Crypto;
        })();

        v1.Algorithm = (function() {
            const valuesById = $Object.create(null), values = $Object.create(valuesById);
            values[valuesById[0] = "ALGORITHM_UNSPECIFIED"] = 0;
            values[valuesById[1] = "RSA_PKCS1_SHA256"] = 1;
            values[valuesById[2] = "RSA_PSS_SHA256"] = 2;
            values[valuesById[3] = "ECDSA_P256_SHA256"] = 3;
            values[valuesById[4] = "ECDSA_P384_SHA384"] = 4;
            return values;
        })();

        v1.SignatureFormat = (function() {
            const valuesById = $Object.create(null), values = $Object.create(valuesById);
            values[valuesById[0] = "SIGNATURE_FORMAT_UNSPECIFIED"] = 0;
            values[valuesById[1] = "SIGNATURE_FORMAT_DER"] = 1;
            values[valuesById[2] = "SIGNATURE_FORMAT_RAW"] = 2;
            return values;
        })();

        v1.SignRequest = (function() {

            const SignRequest = function (properties) {
                if (properties)
                    for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            };

            SignRequest.prototype.keyId = "";
            SignRequest.prototype.algorithm = 0;
            SignRequest.prototype.message = null;
            SignRequest.prototype.digest = null;
            SignRequest.prototype.format = 0;

            let $oneOfFields;

            $Object.defineProperty(SignRequest.prototype, "input", {
                get: $util.oneOfGetter($oneOfFields = ["message", "digest"]),
                set: $util.oneOfSetter($oneOfFields)
            });

            SignRequest.create = function(properties) {
                return new SignRequest(properties);
            };

            SignRequest.encode = function (message, writer, _depth) {
                if (!writer)
                    writer = $Writer.create();
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                if (message.keyId != null && $Object.hasOwnProperty.call(message, "keyId") && message.keyId !== "")
                    writer.uint32(10).string(message.keyId);
                if (message.algorithm != null && $Object.hasOwnProperty.call(message, "algorithm") && message.algorithm !== 0)
                    writer.uint32(16).int32(message.algorithm);
                if (message.message != null && $Object.hasOwnProperty.call(message, "message"))
                    writer.uint32(26).bytes(message.message);
                if (message.digest != null && $Object.hasOwnProperty.call(message, "digest"))
                    writer.uint32(34).bytes(message.digest);
                if (message.format != null && $Object.hasOwnProperty.call(message, "format") && message.format !== 0)
                    writer.uint32(40).int32(message.format);
                if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                    for (let i = 0; i < message.$unknowns.length; ++i)
                        writer.raw(message.$unknowns[i]);
                return writer;
            };

            SignRequest.decode = function (reader, length, _end, _depth, _target) {
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
                message = _target || new $root.grpcperf.v1.SignRequest();
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
                            if ((value = reader.stringVerify()).length)
                                message.keyId = value;
                            else
                                delete message.keyId;
                            continue;
                        }
                    case 2: {
                            if (wireType !== 0)
                                break;
                            if (value = reader.int32())
                                message.algorithm = value;
                            else
                                delete message.algorithm;
                            continue;
                        }
                    case 3: {
                            if (wireType !== 2)
                                break;
                            message.message = reader.bytes();
                            message.input = "message";
                            continue;
                        }
                    case 4: {
                            if (wireType !== 2)
                                break;
                            message.digest = reader.bytes();
                            message.input = "digest";
                            continue;
                        }
                    case 5: {
                            if (wireType !== 0)
                                break;
                            if (value = reader.int32())
                                message.format = value;
                            else
                                delete message.format;
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

            return SignRequest;
        })();

        v1.SignResponse = (function() {

            const SignResponse = function (properties) {
                if (properties)
                    for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            };

            SignResponse.prototype.signature = $util.newBuffer([]);
            SignResponse.prototype.algorithm = 0;
            SignResponse.prototype.keyId = "";
            SignResponse.prototype.format = 0;

            SignResponse.create = function(properties) {
                return new SignResponse(properties);
            };

            SignResponse.encode = function (message, writer, _depth) {
                if (!writer)
                    writer = $Writer.create();
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                if (message.signature != null && $Object.hasOwnProperty.call(message, "signature") && message.signature.length)
                    writer.uint32(10).bytes(message.signature);
                if (message.algorithm != null && $Object.hasOwnProperty.call(message, "algorithm") && message.algorithm !== 0)
                    writer.uint32(16).int32(message.algorithm);
                if (message.keyId != null && $Object.hasOwnProperty.call(message, "keyId") && message.keyId !== "")
                    writer.uint32(26).string(message.keyId);
                if (message.format != null && $Object.hasOwnProperty.call(message, "format") && message.format !== 0)
                    writer.uint32(32).int32(message.format);
                if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                    for (let i = 0; i < message.$unknowns.length; ++i)
                        writer.raw(message.$unknowns[i]);
                return writer;
            };

            SignResponse.decode = function (reader, length, _end, _depth, _target) {
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
                message = _target || new $root.grpcperf.v1.SignResponse();
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
                                message.signature = value;
                            else
                                delete message.signature;
                            continue;
                        }
                    case 2: {
                            if (wireType !== 0)
                                break;
                            if (value = reader.int32())
                                message.algorithm = value;
                            else
                                delete message.algorithm;
                            continue;
                        }
                    case 3: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.keyId = value;
                            else
                                delete message.keyId;
                            continue;
                        }
                    case 4: {
                            if (wireType !== 0)
                                break;
                            if (value = reader.int32())
                                message.format = value;
                            else
                                delete message.format;
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

            return SignResponse;
        })();

        v1.VerifyRequest = (function() {

            const VerifyRequest = function (properties) {
                if (properties)
                    for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            };

            VerifyRequest.prototype.keyId = "";
            VerifyRequest.prototype.algorithm = 0;
            VerifyRequest.prototype.message = null;
            VerifyRequest.prototype.digest = null;
            VerifyRequest.prototype.signature = $util.newBuffer([]);
            VerifyRequest.prototype.format = 0;

            let $oneOfFields;

            $Object.defineProperty(VerifyRequest.prototype, "input", {
                get: $util.oneOfGetter($oneOfFields = ["message", "digest"]),
                set: $util.oneOfSetter($oneOfFields)
            });

            VerifyRequest.create = function(properties) {
                return new VerifyRequest(properties);
            };

            VerifyRequest.encode = function (message, writer, _depth) {
                if (!writer)
                    writer = $Writer.create();
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                if (message.keyId != null && $Object.hasOwnProperty.call(message, "keyId") && message.keyId !== "")
                    writer.uint32(10).string(message.keyId);
                if (message.algorithm != null && $Object.hasOwnProperty.call(message, "algorithm") && message.algorithm !== 0)
                    writer.uint32(16).int32(message.algorithm);
                if (message.message != null && $Object.hasOwnProperty.call(message, "message"))
                    writer.uint32(26).bytes(message.message);
                if (message.digest != null && $Object.hasOwnProperty.call(message, "digest"))
                    writer.uint32(34).bytes(message.digest);
                if (message.signature != null && $Object.hasOwnProperty.call(message, "signature") && message.signature.length)
                    writer.uint32(42).bytes(message.signature);
                if (message.format != null && $Object.hasOwnProperty.call(message, "format") && message.format !== 0)
                    writer.uint32(48).int32(message.format);
                if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                    for (let i = 0; i < message.$unknowns.length; ++i)
                        writer.raw(message.$unknowns[i]);
                return writer;
            };

            VerifyRequest.decode = function (reader, length, _end, _depth, _target) {
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
                message = _target || new $root.grpcperf.v1.VerifyRequest();
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
                            if ((value = reader.stringVerify()).length)
                                message.keyId = value;
                            else
                                delete message.keyId;
                            continue;
                        }
                    case 2: {
                            if (wireType !== 0)
                                break;
                            if (value = reader.int32())
                                message.algorithm = value;
                            else
                                delete message.algorithm;
                            continue;
                        }
                    case 3: {
                            if (wireType !== 2)
                                break;
                            message.message = reader.bytes();
                            message.input = "message";
                            continue;
                        }
                    case 4: {
                            if (wireType !== 2)
                                break;
                            message.digest = reader.bytes();
                            message.input = "digest";
                            continue;
                        }
                    case 5: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.bytes()).length)
                                message.signature = value;
                            else
                                delete message.signature;
                            continue;
                        }
                    case 6: {
                            if (wireType !== 0)
                                break;
                            if (value = reader.int32())
                                message.format = value;
                            else
                                delete message.format;
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

            return VerifyRequest;
        })();

        v1.VerifyResponse = (function() {

            const VerifyResponse = function (properties) {
                if (properties)
                    for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            };

            VerifyResponse.prototype.valid = false;
            VerifyResponse.prototype.algorithm = 0;
            VerifyResponse.prototype.keyId = "";

            VerifyResponse.create = function(properties) {
                return new VerifyResponse(properties);
            };

            VerifyResponse.encode = function (message, writer, _depth) {
                if (!writer)
                    writer = $Writer.create();
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                if (message.valid != null && $Object.hasOwnProperty.call(message, "valid") && message.valid !== false)
                    writer.uint32(8).bool(message.valid);
                if (message.algorithm != null && $Object.hasOwnProperty.call(message, "algorithm") && message.algorithm !== 0)
                    writer.uint32(16).int32(message.algorithm);
                if (message.keyId != null && $Object.hasOwnProperty.call(message, "keyId") && message.keyId !== "")
                    writer.uint32(26).string(message.keyId);
                if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                    for (let i = 0; i < message.$unknowns.length; ++i)
                        writer.raw(message.$unknowns[i]);
                return writer;
            };

            VerifyResponse.decode = function (reader, length, _end, _depth, _target) {
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
                message = _target || new $root.grpcperf.v1.VerifyResponse();
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
                            if (wireType !== 0)
                                break;
                            if (value = reader.bool())
                                message.valid = value;
                            else
                                delete message.valid;
                            continue;
                        }
                    case 2: {
                            if (wireType !== 0)
                                break;
                            if (value = reader.int32())
                                message.algorithm = value;
                            else
                                delete message.algorithm;
                            continue;
                        }
                    case 3: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.keyId = value;
                            else
                                delete message.keyId;
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

            return VerifyResponse;
        })();

        v1.GetPublicKeyRequest = (function() {

            const GetPublicKeyRequest = function (properties) {
                if (properties)
                    for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            };

            GetPublicKeyRequest.prototype.keyId = "";
            GetPublicKeyRequest.prototype.algorithm = 0;

            GetPublicKeyRequest.create = function(properties) {
                return new GetPublicKeyRequest(properties);
            };

            GetPublicKeyRequest.encode = function (message, writer, _depth) {
                if (!writer)
                    writer = $Writer.create();
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                if (message.keyId != null && $Object.hasOwnProperty.call(message, "keyId") && message.keyId !== "")
                    writer.uint32(10).string(message.keyId);
                if (message.algorithm != null && $Object.hasOwnProperty.call(message, "algorithm") && message.algorithm !== 0)
                    writer.uint32(16).int32(message.algorithm);
                if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                    for (let i = 0; i < message.$unknowns.length; ++i)
                        writer.raw(message.$unknowns[i]);
                return writer;
            };

            GetPublicKeyRequest.decode = function (reader, length, _end, _depth, _target) {
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
                message = _target || new $root.grpcperf.v1.GetPublicKeyRequest();
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
                            if ((value = reader.stringVerify()).length)
                                message.keyId = value;
                            else
                                delete message.keyId;
                            continue;
                        }
                    case 2: {
                            if (wireType !== 0)
                                break;
                            if (value = reader.int32())
                                message.algorithm = value;
                            else
                                delete message.algorithm;
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

            return GetPublicKeyRequest;
        })();

        v1.GetPublicKeyResponse = (function() {

            const GetPublicKeyResponse = function (properties) {
                if (properties)
                    for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            };

            GetPublicKeyResponse.prototype.keyId = "";
            GetPublicKeyResponse.prototype.algorithm = 0;
            GetPublicKeyResponse.prototype.spkiDer = $util.newBuffer([]);
            GetPublicKeyResponse.prototype.pem = "";

            GetPublicKeyResponse.create = function(properties) {
                return new GetPublicKeyResponse(properties);
            };

            GetPublicKeyResponse.encode = function (message, writer, _depth) {
                if (!writer)
                    writer = $Writer.create();
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                if (message.keyId != null && $Object.hasOwnProperty.call(message, "keyId") && message.keyId !== "")
                    writer.uint32(10).string(message.keyId);
                if (message.algorithm != null && $Object.hasOwnProperty.call(message, "algorithm") && message.algorithm !== 0)
                    writer.uint32(16).int32(message.algorithm);
                if (message.spkiDer != null && $Object.hasOwnProperty.call(message, "spkiDer") && message.spkiDer.length)
                    writer.uint32(26).bytes(message.spkiDer);
                if (message.pem != null && $Object.hasOwnProperty.call(message, "pem") && message.pem !== "")
                    writer.uint32(34).string(message.pem);
                if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                    for (let i = 0; i < message.$unknowns.length; ++i)
                        writer.raw(message.$unknowns[i]);
                return writer;
            };

            GetPublicKeyResponse.decode = function (reader, length, _end, _depth, _target) {
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
                message = _target || new $root.grpcperf.v1.GetPublicKeyResponse();
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
                            if ((value = reader.stringVerify()).length)
                                message.keyId = value;
                            else
                                delete message.keyId;
                            continue;
                        }
                    case 2: {
                            if (wireType !== 0)
                                break;
                            if (value = reader.int32())
                                message.algorithm = value;
                            else
                                delete message.algorithm;
                            continue;
                        }
                    case 3: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.bytes()).length)
                                message.spkiDer = value;
                            else
                                delete message.spkiDer;
                            continue;
                        }
                    case 4: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.pem = value;
                            else
                                delete message.pem;
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

            return GetPublicKeyResponse;
        })();

        v1.ListKeysRequest = (function() {

            const ListKeysRequest = function (properties) {
                if (properties)
                    for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            };

            ListKeysRequest.create = function(properties) {
                return new ListKeysRequest(properties);
            };

            ListKeysRequest.encode = function (message, writer, _depth) {
                if (!writer)
                    writer = $Writer.create();
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                    for (let i = 0; i < message.$unknowns.length; ++i)
                        writer.raw(message.$unknowns[i]);
                return writer;
            };

            ListKeysRequest.decode = function (reader, length, _end, _depth, _target) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $Reader.recursionLimit)
                    throw $Error("max depth exceeded");
                let end, message;
                if (length === $undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw $RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = _target || new $root.grpcperf.v1.ListKeysRequest();
                while (reader.pos < end) {
                    let start = reader.pos;
                    let tag = reader.tag();
                    if (tag === _end) {
                        _end = $undefined;
                        break;
                    }
                    reader.skipType(tag & 7, _depth, tag);
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

            return ListKeysRequest;
        })();

        v1.KeyInfo = (function() {

            const KeyInfo = function (properties) {
                if (properties)
                    for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            };

            KeyInfo.prototype.keyId = "";
            KeyInfo.prototype.algorithm = 0;
            KeyInfo.prototype.bits = 0;

            KeyInfo.create = function(properties) {
                return new KeyInfo(properties);
            };

            KeyInfo.encode = function (message, writer, _depth) {
                if (!writer)
                    writer = $Writer.create();
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                if (message.keyId != null && $Object.hasOwnProperty.call(message, "keyId") && message.keyId !== "")
                    writer.uint32(10).string(message.keyId);
                if (message.algorithm != null && $Object.hasOwnProperty.call(message, "algorithm") && message.algorithm !== 0)
                    writer.uint32(16).int32(message.algorithm);
                if (message.bits != null && $Object.hasOwnProperty.call(message, "bits") && message.bits !== 0)
                    writer.uint32(24).uint32(message.bits);
                if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                    for (let i = 0; i < message.$unknowns.length; ++i)
                        writer.raw(message.$unknowns[i]);
                return writer;
            };

            KeyInfo.decode = function (reader, length, _end, _depth, _target) {
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
                message = _target || new $root.grpcperf.v1.KeyInfo();
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
                            if ((value = reader.stringVerify()).length)
                                message.keyId = value;
                            else
                                delete message.keyId;
                            continue;
                        }
                    case 2: {
                            if (wireType !== 0)
                                break;
                            if (value = reader.int32())
                                message.algorithm = value;
                            else
                                delete message.algorithm;
                            continue;
                        }
                    case 3: {
                            if (wireType !== 0)
                                break;
                            if (value = reader.uint32())
                                message.bits = value;
                            else
                                delete message.bits;
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

            return KeyInfo;
        })();

        v1.ListKeysResponse = (function() {

            const ListKeysResponse = function (properties) {
                this.keys = [];
                if (properties)
                    for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            };

            ListKeysResponse.prototype.keys = $util.emptyArray;

            ListKeysResponse.create = function(properties) {
                return new ListKeysResponse(properties);
            };

            ListKeysResponse.encode = function (message, writer, _depth) {
                if (!writer)
                    writer = $Writer.create();
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                if (message.keys != null && message.keys.length)
                    for (let i = 0; i < message.keys.length; ++i)
                        $root.grpcperf.v1.KeyInfo.encode(message.keys[i], writer.uint32(10).fork(), _depth + 1).ldelim();
                if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                    for (let i = 0; i < message.$unknowns.length; ++i)
                        writer.raw(message.$unknowns[i]);
                return writer;
            };

            ListKeysResponse.decode = function (reader, length, _end, _depth, _target) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $Reader.recursionLimit)
                    throw $Error("max depth exceeded");
                let end, message;
                if (length === $undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw $RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = _target || new $root.grpcperf.v1.ListKeysResponse();
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
                            if (!(message.keys && message.keys.length))
                                message.keys = [];
                            message.keys.push($root.grpcperf.v1.KeyInfo.decode(reader, reader.size(), $undefined, _depth + 1));
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

            return ListKeysResponse;
        })();

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
            EchoRequest.prototype.serverDelayUs = 0;
            EchoRequest.prototype.serverBusyUs = 0;

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
                if (message.serverDelayUs != null && $Object.hasOwnProperty.call(message, "serverDelayUs") && message.serverDelayUs !== 0)
                    writer.uint32(32).uint32(message.serverDelayUs);
                if (message.serverBusyUs != null && $Object.hasOwnProperty.call(message, "serverBusyUs") && message.serverBusyUs !== 0)
                    writer.uint32(40).uint32(message.serverBusyUs);
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
                    case 4: {
                            if (wireType !== 0)
                                break;
                            if (value = reader.uint32())
                                message.serverDelayUs = value;
                            else
                                delete message.serverDelayUs;
                            continue;
                        }
                    case 5: {
                            if (wireType !== 0)
                                break;
                            if (value = reader.uint32())
                                message.serverBusyUs = value;
                            else
                                delete message.serverBusyUs;
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

// The HTTP/1.1 response parser of --http1: bodies by Content-Length, chunked or to the close, cut anywhere;
// and the responses two parsers could read two ways (request smuggling's response side) refused.
import { describe, expect, test } from "bun:test";
import { ResponseParser } from "../../src/rpc/http1/response.ts";

interface Seen {
  status?: number;
  fields?: [string, string][];
  body: string;
  ended?: { close: boolean };
}

function parse(text: string, cuts: number[] = []): { seen: Seen; parser: ResponseParser } {
  const seen: Seen = { body: "" };
  const parser = new ResponseParser({
    head: (status, fields) => {
      seen.status = status;
      seen.fields = fields;
    },
    body: (buf, start, end) => {
      seen.body += buf.toString("latin1", start, end);
    },
    end: (close) => {
      seen.ended = { close };
    },
  });
  const bytes = Buffer.from(text, "latin1");
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    parser.push(bytes.subarray(at, cut));
    at = cut;
  }
  return { seen, parser };
}

describe("bodies", () => {
  test("Content-Length, split at every byte", () => {
    const text = "HTTP/1.1 200 OK\r\nContent-Type: application/proto\r\nContent-Length: 5\r\n\r\nhello";
    for (let cut = 0; cut <= text.length; cut++) {
      const { seen, parser } = parse(text, [cut]);
      expect(seen).toEqual({
        status: 200,
        fields: [
          ["content-type", "application/proto"],
          ["content-length", "5"],
        ],
        body: "hello",
        ended: { close: false },
      });
      expect(parser.problem).toBeUndefined();
    }
  });

  test("chunked with extensions and trailers, split at every byte", () => {
    const text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nx-t: 1\r\n\r\n";
    for (let cut = 0; cut <= text.length; cut++) {
      const { seen, parser } = parse(text, [cut]);
      expect({ cut, body: seen.body, ended: seen.ended, problem: parser.problem }).toEqual({
        cut,
        body: "abcde",
        ended: { close: false },
        problem: undefined,
      });
    }
  });

  test("no length: the body runs to the close; 1xx heads are read past; Connection: close is kept", () => {
    const { seen, parser } = parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\nrest");
    expect(seen.body).toBe("rest");
    expect(parser.closed()).toBeUndefined();
    expect(seen.ended).toEqual({ close: true });
    expect(parse("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n").seen.ended).toEqual({ close: true });
    expect(parse("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc").parser.closed()).toContain("inside the response");
  });
});

describe("refused", () => {
  for (const [name, text, problem] of [
    [
      "both Transfer-Encoding and Content-Length",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
      "both",
    ],
    [
      "two different Content-Lengths",
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
      "conflicting",
    ],
    ["a coding other than chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "unsupported"],
    ["a bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "chunk size"],
    ["a space before the colon", "HTTP/1.1 200 OK\r\nContent-Length : 3\r\n\r\n", "malformed"],
    ["HTTP/2's preface answer", "\0\0\x12\x04\0\0\0\0\0", undefined],
    ["bytes after the response", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nab", "after the response"],
    ["not HTTP", "SSH-2.0-OpenSSH\r\n\r\n", "not an HTTP/1.1 response"],
  ] as const) {
    test(name, () => {
      const { parser } = parse(text);
      if (problem === undefined) expect(parser.done).toBe(false);
      else expect(parser.problem).toContain(problem);
    });
  }

  test("a head over 64 KiB is refused before it is kept whole", () => {
    const { parser } = parse(`HTTP/1.1 200 OK\r\nx: ${"a".repeat(70_000)}`);
    expect(parser.problem).toContain("over 65536");
  });
});

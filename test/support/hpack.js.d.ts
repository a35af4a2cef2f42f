// The part of hpack.js (no types of its own) that test/support/wire.ts uses: the compressor and decompressor streams.
declare module "hpack.js" {
  interface Field {
    name: string;
    value: string;
    neverIndex?: boolean;
    incremental?: boolean;
    huffman?: boolean;
  }
  interface Codec {
    write(chunk: Buffer | Field[]): boolean;
    read(): (Buffer & Field) | null;
    execute(): void;
    on(event: "error", listener: (err: Error) => void): void;
  }
  const hpack: {
    compressor: { create(options: { table: { maxSize: number } }): Codec };
    decompressor: { create(options: { table: { maxSize: number } }): Codec };
  };
  export default hpack;
}

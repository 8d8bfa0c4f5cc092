import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import { TriageError } from '@triage/errors';
import { describe, expect, it } from 'vitest';
import { compress, decompress } from './compression.js';
import { bytesOf, codeOf, piecesOf, utf8 } from './testing/fixtures.js';

const NDJSON = utf8('{"kind":"group","name":"wheel","members":["root"]}\n'.repeat(5000));

describe('compress / decompress', () => {
  it('round-trips, and the output is plain brotli any decoder reads', async () => {
    const compressed = await bytesOf(piecesOf(NDJSON, 1000).pipeThrough(compress()));
    expect(compressed.length).toBeLessThan(NDJSON.length / 10);
    expect(Buffer.from(brotliDecompressSync(compressed)).equals(Buffer.from(NDJSON))).toBe(true);
    const back = await bytesOf(piecesOf(compressed, 13).pipeThrough(decompress()));
    expect(Buffer.from(back).equals(Buffer.from(NDJSON))).toBe(true);
  });

  it('round-trips empty input', async () => {
    const compressed = await bytesOf(piecesOf(new Uint8Array(0), 1).pipeThrough(compress()));
    expect(compressed.length).toBeGreaterThan(0);
    expect((await bytesOf(piecesOf(compressed, 1).pipeThrough(decompress()))).length).toBe(0);
  });

  it('uses quality 1 by default and accepts another', async () => {
    const fast = await bytesOf(piecesOf(NDJSON, NDJSON.length).pipeThrough(compress()));
    const quality1 = brotliCompressSync(NDJSON, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 1,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      },
    });
    expect(Buffer.from(fast).equals(quality1)).toBe(true);
    const best = await bytesOf(piecesOf(NDJSON, 65536).pipeThrough(compress({ quality: 11 })));
    expect(best.length).toBeLessThan(fast.length);
    expect(() => compress({ quality: 12 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('refuses input cut anywhere, bytes after the end, and non-brotli input', async () => {
    const compressed = brotliCompressSync(NDJSON);
    for (const length of [0, 1, 5, Math.floor(compressed.length / 2), compressed.length - 1]) {
      const code = await codeOf(
        bytesOf(piecesOf(compressed.subarray(0, length), 7).pipeThrough(decompress())),
      );
      expect(code, `cut at ${length}`).toBe('DATA_INVALID');
    }
    const trailing = Buffer.concat([compressed, Buffer.from('x')]);
    expect(await codeOf(bytesOf(piecesOf(trailing, 64).pipeThrough(decompress())))).toBe('DATA_INVALID');
    const twice = Buffer.concat([compressed, compressed]);
    expect(await codeOf(bytesOf(piecesOf(twice, 64).pipeThrough(decompress())))).toBe('DATA_INVALID');
    expect(await codeOf(bytesOf(piecesOf(NDJSON, 64).pipeThrough(decompress())))).toBe('DATA_INVALID');
  });

  it('reports a corrupt input written before anyone reads, without crashing', async () => {
    const pair = decompress();
    const writer = pair.writable.getWriter();
    const written = writer.write(utf8('definitely not brotli, and long enough to fail at once'));
    expect(await codeOf(written)).not.toBe('resolved');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await codeOf(bytesOf(pair.readable))).toBe('DATA_INVALID');
  });

  it('passes an upstream TriageError through unchanged', async () => {
    const failure = new TriageError('ENVELOPE_TAMPERED', 'chunk 3 failed authentication');
    let sent = 0;
    const compressed = brotliCompressSync(NDJSON);
    const upstream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ === 0) controller.enqueue(compressed.subarray(0, 50));
        else controller.error(failure);
      },
    });
    await expect(bytesOf(upstream.pipeThrough(decompress()))).rejects.toBe(failure);
  });

  it('decodes a decompression bomb only as fast as it is read, in bounded memory', async () => {
    // 1 GiB of one repeated line compresses to well under 1 MiB.
    const line = utf8(`${'{"kind":"group"}'.padEnd(1023, ' ')}\n`);
    const block = new Uint8Array(Buffer.concat(Array.from({ length: 1024 }, () => line))); // 1 MiB
    const compressed = await bytesOf(
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < 1024; i++) controller.enqueue(block);
          controller.close();
        },
      }).pipeThrough(compress()),
    );
    expect(compressed.length).toBeLessThan(1024 * 1024);
    let offset = 0;
    const source = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          if (offset >= compressed.length) return controller.close();
          controller.enqueue(compressed.slice(offset, offset + 1024));
          offset += 1024;
        },
      },
      { highWaterMark: 0 },
    );
    const reader = source.pipeThrough(decompress()).getReader();
    const before = process.memoryUsage().rss;
    let read = 0;
    while (read < 8 * 1024 * 1024) {
      const { value } = await reader.read();
      read += value?.length ?? 0;
    }
    // Stop reading for a moment: the decompressor must not run ahead and fill memory.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const grown = process.memoryUsage().rss - before;
    // Only about one 64 KiB piece of input was taken ahead of the reader: the rest waits.
    expect(compressed.length).toBeGreaterThan(160 * 1024);
    expect(offset).toBeLessThanOrEqual(80 * 1024);
    await reader.cancel();
    expect(grown).toBeLessThan(128 * 1024 * 1024);
  });

  it('takes input only as fast as its output is read', async () => {
    const pair = compress();
    const writer = pair.writable.getWriter();
    let accepted = 0;
    const piece = new Uint8Array(64 * 1024).map(() => Math.floor(Math.random() * 256)); // incompressible
    const writing = (async () => {
      for (let i = 0; i < 200; i++) {
        await writer.ready;
        writer.write(piece).catch(() => undefined);
        accepted++;
      }
    })().catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Nobody reads the output: only a few pieces (queue, zlib's buffers) are taken.
    expect(accepted).toBeLessThan(8);
    // Cancelling the output fails the waiting write, so a pipe into it cannot hang.
    await pair.readable.cancel();
    await writing;
    expect(await codeOf(writer.closed)).toBe('ABORTED');
  });
});

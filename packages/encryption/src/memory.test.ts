import { describe, expect, it } from 'vitest';
import { generateExaminerKeyPair } from './keys.js';
import { decrypt, encrypt } from './stream.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

describe('bounded memory', () => {
  it('seals and opens 1 GiB with memory that does not grow with the data', async () => {
    const examiner = generateExaminerKeyPair();
    const piece = new Uint8Array(MiB).fill(0x5a);
    let sent = 0;
    const source = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          if (sent >= GiB) return controller.close();
          sent += piece.length;
          controller.enqueue(piece);
        },
      },
      { highWaterMark: 2 },
    );
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    let received = 0;
    let mismatch = false;
    await source
      .pipeThrough(encrypt({ recipients: [examiner.recipient] }))
      .pipeThrough(decrypt({ identities: [examiner.identity] }))
      .pipeTo(
        new WritableStream({
          write(chunk) {
            received += chunk.length;
            if (chunk[0] !== 0x5a || chunk[chunk.length - 1] !== 0x5a) mismatch = true;
            if ((received & (64 * MiB - 1)) < chunk.length) peak = Math.max(peak, process.memoryUsage().rss);
          },
        }),
      );
    peak = Math.max(peak, process.memoryUsage().rss);
    expect(received).toBe(GiB);
    expect(mismatch).toBe(false);
    // 1 GiB passed through; the process grew by far less (garbage not yet collected included).
    expect(peak - baseline).toBeLessThan(256 * MiB);
  }, 120_000);
});

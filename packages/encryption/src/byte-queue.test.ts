import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteQueue } from './byte-queue.js';

describe('ByteQueue', () => {
  it('returns exactly the pushed bytes, in order, for any pieces and reads', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 40 })),
        fc.array(fc.nat({ max: 50 })),
        (pieces, reads) => {
          const queue = new ByteQueue();
          const all = Buffer.concat(pieces);
          for (const piece of pieces) queue.push(piece);
          expect(queue.length).toBe(all.length);
          let offset = 0;
          for (const n of reads) {
            const count = Math.min(n, queue.length);
            expect(Buffer.from(queue.peek(count))).toEqual(all.subarray(offset, offset + count));
            expect(Buffer.from(queue.take(count))).toEqual(all.subarray(offset, offset + count));
            offset += count;
            expect(queue.length).toBe(all.length - offset);
          }
        },
      ),
    );
  });

  it('refuses to read more than it holds', () => {
    const queue = new ByteQueue();
    queue.push(new Uint8Array(3));
    expect(() => queue.take(4)).toThrow(RangeError);
  });
});

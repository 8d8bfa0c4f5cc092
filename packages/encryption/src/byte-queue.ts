/**
 * A FIFO of byte pieces that hands out exact-length reads without
 * re-concatenating everything it holds (reads copy only when they span
 * pieces).
 */
export class ByteQueue {
  private pieces: Uint8Array[] = [];
  private head = 0; // offset into pieces[0]
  private size = 0;

  /** Bytes held. */
  get length(): number {
    return this.size;
  }

  /** Appends a piece (kept by reference: do not modify it afterwards). */
  push(piece: Uint8Array): void {
    if (piece.length === 0) return;
    this.pieces.push(piece);
    this.size += piece.length;
  }

  /** The first `n` bytes without removing them (`n` at most {@link length}). */
  peek(n: number): Uint8Array {
    return this.read(n, false);
  }

  /** Removes and returns the first `n` bytes (`n` at most {@link length}). */
  take(n: number): Uint8Array {
    return this.read(n, true);
  }

  private read(n: number, consume: boolean): Uint8Array {
    if (n > this.size) throw new RangeError(`read of ${n} bytes from a queue of ${this.size}`);
    const first = this.pieces[0];
    if (first !== undefined && first.length - this.head >= n) {
      const out = first.subarray(this.head, this.head + n);
      if (consume) this.advance(n);
      return out;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    let index = 0;
    let offset = this.head;
    while (filled < n) {
      const piece = this.pieces[index] as Uint8Array;
      const count = Math.min(piece.length - offset, n - filled);
      out.set(piece.subarray(offset, offset + count), filled);
      filled += count;
      index++;
      offset = 0;
    }
    if (consume) this.advance(n);
    return out;
  }

  private advance(n: number): void {
    this.size -= n;
    let left = n;
    while (left > 0) {
      const piece = this.pieces[0] as Uint8Array;
      const available = piece.length - this.head;
      if (available > left) {
        this.head += left;
        return;
      }
      left -= available;
      this.pieces.shift();
      this.head = 0;
    }
  }
}

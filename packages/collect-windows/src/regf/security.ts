/**
 * Key security items (sk): Suhanov, "Key security"; libyal (Metz), section
 * 4.2 "Security key". Only what an examiner needs to see who owns a key: the
 * reference count, the raw self-relative security descriptor and its owner
 * and group SIDs ([MS-DTYP] 2.4.6 SECURITY_DESCRIPTOR, 2.4.2.2 SID).
 */
import { u16, u32 } from './binary.js';

/** The key security item a key points to. */
export interface KeySecurity {
  /** The sk cell, relative to the start of the hive bins data. */
  readonly cellOffset: number;
  /** How many keys share this item. */
  readonly referenceCount: number;
  /** The self-relative security descriptor, as stored. */
  readonly descriptor: Uint8Array;
  /** The owner SID (`S-1-5-32-544`…), when the descriptor holds a readable one. */
  readonly owner?: string;
  /** The primary group SID, when readable. */
  readonly group?: string;
  /** Descriptor control flags (SE_DACL_PRESENT 0x0004, SE_SELF_RELATIVE 0x8000…). */
  readonly control: number;
}

/**
 * A SID in its string form, from `bytes[offset…]`, or undefined when the
 * bytes do not hold a whole one.
 */
export function sidAt(bytes: Uint8Array, offset: number): string | undefined {
  if (offset <= 0 || offset + 8 > bytes.length) return undefined;
  const revision = bytes[offset] ?? 0;
  const count = bytes[offset + 1] ?? 0;
  if (revision !== 1 || count > 15 || offset + 8 + count * 4 > bytes.length) return undefined;
  let authority = 0;
  for (let i = 2; i < 8; i++) authority = authority * 256 + (bytes[offset + i] ?? 0);
  let text = `S-1-${authority}`;
  for (let i = 0; i < count; i++) text += `-${u32(bytes, offset + 8 + i * 4)}`;
  return text;
}

/** Owner, group and control of a self-relative security descriptor. */
export function describeDescriptor(descriptor: Uint8Array): {
  owner?: string;
  group?: string;
  control: number;
} {
  if (descriptor.length < 20) return { control: 0 };
  const owner = sidAt(descriptor, u32(descriptor, 4));
  const group = sidAt(descriptor, u32(descriptor, 8));
  return {
    control: u16(descriptor, 2),
    ...(owner === undefined ? {} : { owner }),
    ...(group === undefined ? {} : { group }),
  };
}

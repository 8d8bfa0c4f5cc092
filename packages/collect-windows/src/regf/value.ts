/**
 * Registry value types and the decoded form of a key value (vk). Types:
 * Suhanov, "Key value" > "Data types"; libyal (Metz), section 4.4.1 "Data
 * types". String decoding follows libyal section 6, "Corruption scenarios"
 * ("String value data too small", "String value data too large").
 */
import { decodeUtf16le, u32, u32be, u64 } from './binary.js';

/** The value types Windows defines, by code. Other codes occur (SAM stores RIDs as types) and are kept as numbers. */
export const REGISTRY_VALUE_TYPES = {
  REG_NONE: 0,
  REG_SZ: 1,
  REG_EXPAND_SZ: 2,
  REG_BINARY: 3,
  REG_DWORD: 4,
  REG_DWORD_BIG_ENDIAN: 5,
  REG_LINK: 6,
  REG_MULTI_SZ: 7,
  REG_RESOURCE_LIST: 8,
  REG_FULL_RESOURCE_DESCRIPTOR: 9,
  REG_RESOURCE_REQUIREMENTS_LIST: 10,
  REG_QWORD: 11,
} as const;

/** The name of a defined value type (`REG_DWORD` is also known as `REG_DWORD_LITTLE_ENDIAN`, `REG_QWORD` as `REG_QWORD_LITTLE_ENDIAN`). */
export type RegistryValueTypeName = keyof typeof REGISTRY_VALUE_TYPES;

const TYPE_NAMES: readonly RegistryValueTypeName[] = Object.keys(
  REGISTRY_VALUE_TYPES,
) as RegistryValueTypeName[];

/**
 * A type code as its name when Windows defines it, else the number itself.
 *
 * @param code - the vk data type field (an unsigned 32-bit number)
 */
export function registryValueType(code: number): RegistryValueTypeName | number {
  return code >= 0 && code < TYPE_NAMES.length ? (TYPE_NAMES[code] ?? code) : code;
}

/** Where a value's data was found. */
export type ValueStorage =
  /** No data (data size 0). */
  | 'empty'
  /** In the vk's data offset field itself (4 bytes or fewer, size field bit 31 set). */
  | 'inline'
  /** In one cell. */
  | 'cell'
  /** In the segments of a big data (db) record (hive version 1.4 and later, more than 16,344 bytes). */
  | 'big-data';

/** The fields a value is built from (internal). */
export interface RegistryValueInit {
  readonly name: string;
  readonly typeCode: number;
  readonly dataSize: number;
  readonly data: Uint8Array;
  readonly storage: ValueStorage;
  readonly damaged: boolean;
  readonly cellOffset: number;
  readonly flags: number;
}

/** One key value (vk record) with its data. */
export class RegistryValue {
  /** The value name; `""` for the default value (a vk with name length 0). */
  readonly name: string;
  /** The type by name when Windows defines it, else the raw number. */
  readonly type: RegistryValueTypeName | number;
  /** The raw data type field. */
  readonly typeCode: number;
  /** The data size the vk declares (bit 31, the inline flag, removed). */
  readonly dataSize: number;
  /**
   * The raw data. Shorter than {@link dataSize} only when the hive is damaged
   * or the value is over the size limit ({@link damaged} is then true and the
   * hive has a diagnostic); empty for a value with no data.
   */
  readonly data: Uint8Array;
  /** Where the data was found. */
  readonly storage: ValueStorage;
  /** True when the data could not be read in full (see the hive's diagnostics). */
  readonly damaged: boolean;
  /** The vk cell, as an offset relative to the start of the hive bins data. */
  readonly cellOffset: number;
  /** The vk flags field (bit 0: the name is stored in Latin-1, "compressed"). */
  readonly flags: number;

  /** @internal */
  constructor(init: RegistryValueInit) {
    this.name = init.name;
    this.typeCode = init.typeCode;
    this.type = registryValueType(init.typeCode);
    this.dataSize = init.dataSize;
    this.data = init.data;
    this.storage = init.storage;
    this.damaged = init.damaged;
    this.cellOffset = init.cellOffset;
    this.flags = init.flags;
  }

  /**
   * The data as one UTF-16LE string, ending at the first NUL character (data
   * after it is ignored, as regedit does) and ignoring an odd final byte.
   * Meant for REG_SZ, REG_EXPAND_SZ and REG_LINK; any other type is decoded
   * the same way, which is what one wants for the strings programs store as
   * REG_NONE or REG_BINARY. Unpaired surrogates are kept as they are.
   */
  asString(): string {
    const data = this.data;
    let end = data.length - (data.length % 2);
    for (let at = 0; at + 1 < end; at += 2) {
      if (data[at] === 0 && data[at + 1] === 0) {
        end = at;
        break;
      }
    }
    return decodeUtf16le(data, 0, end);
  }

  /**
   * The data as a list of strings (REG_MULTI_SZ): UTF-16LE split at each NUL
   * character. The terminating empty string (and any empty strings after the
   * last non-empty one) are dropped; empty strings between non-empty ones are
   * kept as `""`, so nothing stored is lost.
   */
  asStrings(): string[] {
    const parts = decodeUtf16le(this.data).split('\u0000');
    while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
    return parts;
  }

  /**
   * The data as a number, for the three integer types when the data has
   * exactly their size: REG_DWORD (4 bytes, little-endian), REG_DWORD_BIG_ENDIAN
   * (4 bytes), REG_QWORD (8 bytes, little-endian; a number when it is at most
   * `Number.MAX_SAFE_INTEGER`, else a bigint). Unsigned, as Windows reads them.
   *
   * @returns the number, or undefined for another type or a data size that does
   *   not match the type (libyal section 6, "Integer value data too large":
   *   regedit shows such a value as invalid)
   */
  asNumber(): number | bigint | undefined {
    const data = this.data;
    switch (this.typeCode) {
      case REGISTRY_VALUE_TYPES.REG_DWORD:
        return data.length === 4 ? u32(data, 0) : undefined;
      case REGISTRY_VALUE_TYPES.REG_DWORD_BIG_ENDIAN:
        return data.length === 4 ? u32be(data, 0) : undefined;
      case REGISTRY_VALUE_TYPES.REG_QWORD: {
        if (data.length !== 8) return undefined;
        const value = u64(data, 0);
        return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
      }
      default:
        return undefined;
    }
  }
}

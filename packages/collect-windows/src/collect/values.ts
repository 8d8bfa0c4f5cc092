/**
 * Reading registry values and event fields the way the collectors need
 * them: text or null, numbers or null, key times as ISO 8601.
 */
import type { EvtxJsonObject, EvtxJsonValue } from '../evtx/evtx.js';
import type { RegistryKey } from '../regf/hive.js';
import type { RegistryValue } from '../regf/value.js';
import { filetimeToIso } from './time.js';

/** A string value's text (REG_SZ, REG_EXPAND_SZ; a REG_MULTI_SZ joined by spaces); null for other types and when missing. */
export function textOf(value: RegistryValue | undefined): string | null {
  if (value === undefined) return null;
  if (value.type === 'REG_SZ' || value.type === 'REG_EXPAND_SZ' || value.type === 'REG_LINK')
    return value.asString();
  if (value.type === 'REG_MULTI_SZ') return value.asStrings().join(' ');
  return null;
}

/** The text of a key's value by name, or null. */
export async function textValue(key: RegistryKey | undefined, name: string): Promise<string | null> {
  return key === undefined ? null : textOf(await key.value(name));
}

/** A DWORD or QWORD value as a number (a QWORD past 2^53 as null); a decimal or 0x text as its number; else null. */
export function numberOf(value: RegistryValue | undefined): number | null {
  if (value === undefined) return null;
  const n = value.asNumber();
  if (typeof n === 'number') return n;
  if (typeof n === 'bigint') return null;
  const text = textOf(value)?.trim();
  if (text === undefined || text === null || text === '') return null;
  const parsed = /^0x[0-9a-f]+$/i.test(text)
    ? Number.parseInt(text, 16)
    : /^\d+$/.test(text)
      ? Number(text)
      : Number.NaN;
  return Number.isSafeInteger(parsed) ? parsed : null;
}

/** A number value of a key by name, or null. */
export async function numberValue(key: RegistryKey | undefined, name: string): Promise<number | null> {
  return key === undefined ? null : numberOf(await key.value(name));
}

/** A REG_QWORD (or 8-byte binary) FILETIME value as ISO 8601, or null. */
export function filetimeOf(value: RegistryValue | undefined): string | null {
  if (value === undefined || value.data.length !== 8) return null;
  const view = new DataView(value.data.buffer, value.data.byteOffset, 8);
  return filetimeToIso(view.getBigUint64(0, true));
}

/** A key's last-written time as ISO 8601 with 100 ns. */
export function keyTime(key: RegistryKey): string | null {
  return filetimeToIso(key.lastWrittenFiletime);
}

/** A field of an event object as text: strings as they are (`-` and empty as null), numbers in decimal. */
export function eventText(object: EvtxJsonObject | undefined, name: string): string | null {
  const value: EvtxJsonValue | undefined = object?.[name];
  if (typeof value === 'string') return value === '-' || value.trim() === '' ? null : value;
  if (typeof value === 'number') return String(value);
  return null;
}

/** A field of an event object as a non-negative integer: numbers, decimal and `0x` text; else null. */
export function eventNumber(object: EvtxJsonObject | undefined, name: string): number | null {
  const value: EvtxJsonValue | undefined = object?.[name];
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : null;
  if (typeof value !== 'string') return null;
  const text = value.trim();
  const parsed = /^0x[0-9a-f]+$/i.test(text)
    ? Number.parseInt(text, 16)
    : /^\d+$/.test(text)
      ? Number(text)
      : Number.NaN;
  return Number.isSafeInteger(parsed) ? parsed : null;
}

/** An event's child object (`EventData`, `System`, `UserData.EventXML`), or undefined. */
export function eventObject(
  object: EvtxJsonObject | undefined,
  ...path: string[]
): EvtxJsonObject | undefined {
  let at: EvtxJsonValue | undefined = object;
  for (const name of path) {
    if (at === null || typeof at !== 'object' || Array.isArray(at)) return undefined;
    at = (at as EvtxJsonObject)[name];
  }
  return at !== null && typeof at === 'object' && !Array.isArray(at) ? (at as EvtxJsonObject) : undefined;
}

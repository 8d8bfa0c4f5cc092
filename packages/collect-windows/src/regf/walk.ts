/**
 * Depth-first walk over every key of a hive, safe on hostile input: a key
 * node reached twice (a loop through damaged lists, or two lists sharing a
 * key) is visited once, and depth and key count are capped.
 */
import { BASE_BLOCK_SIZE } from './base-block.js';
import type { RegistryHive, RegistryKey } from './hive.js';

/** Options for {@link walkHive}. */
export interface WalkHiveOptions {
  /** Deepest level visited (the root is 0). Default 512, the registry's documented tree depth. */
  readonly maxDepth?: number;
  /** Most keys visited; the walk stops after that many. Default 10,000,000. */
  readonly maxKeys?: number;
  /** The key to start from. Default: the hive's root. */
  readonly from?: RegistryKey;
}

/** How a walk ended. */
export interface WalkHiveResult {
  /** Keys visited. */
  readonly keys: number;
  /** True when `maxKeys` or `maxDepth` cut the walk short. */
  readonly truncated: boolean;
  /** Key nodes skipped because they had been visited already (loops, shared nodes). */
  readonly repeats: number;
}

/**
 * Called for each key in depth-first order (a key before its subkeys,
 * subkeys in list order). Return `false` to skip the key's subkeys.
 */
export type HiveVisitor = (key: RegistryKey, depth: number) => unknown;

/**
 * Visits every key of the hive, depth-first. Memory: the set of key node
 * offsets visited (bounded by `maxKeys`) and the subkeys of the keys on the
 * current path.
 *
 * @param hive - the hive
 * @param visit - called for each key; may be async; `false` skips that key's subkeys
 * @param options - limits and starting key
 * @returns counts; limits reached and loops are also diagnostics on the hive
 * @throws IO_ERROR when the source cannot be read; whatever `visit` throws
 */
export async function walkHive(
  hive: RegistryHive,
  visit: HiveVisitor,
  options: WalkHiveOptions = {},
): Promise<WalkHiveResult> {
  const maxDepth = options.maxDepth ?? 512;
  const maxKeys = options.maxKeys ?? 10_000_000;
  const start = options.from ?? (await hive.root());
  if (!start) return { keys: 0, truncated: false, repeats: 0 };
  const seen = new Set<number>([start.cellOffset]);
  let keys = 0;
  let repeats = 0;
  let truncated = false;
  // Each frame: the subkeys still to visit at one level.
  const stack: Array<{ keys: RegistryKey[]; next: number; depth: number }> = [];
  const enter = async (key: RegistryKey, depth: number): Promise<boolean> => {
    if (keys >= maxKeys) {
      if (!truncated) {
        hive.report({
          code: 'LIMIT',
          offset: BASE_BLOCK_SIZE + key.cellOffset,
          reason: `walk stopped after ${maxKeys} keys (maxKeys), at "${key.path}"`,
        });
      }
      truncated = true;
      return false;
    }
    keys++;
    if ((await visit(key, depth)) === false) return true;
    const subkeys = await key.subkeys();
    if (subkeys.length === 0) return true;
    if (depth >= maxDepth) {
      truncated = true;
      hive.report({
        code: 'LIMIT',
        offset: BASE_BLOCK_SIZE + key.cellOffset,
        reason: `subkeys of "${key.path}" not walked: depth ${depth} is the limit (maxDepth)`,
      });
      return true;
    }
    stack.push({ keys: subkeys, next: 0, depth: depth + 1 });
    return true;
  };
  if (!(await enter(start, 0))) return { keys, truncated, repeats };
  while (stack.length > 0) {
    const frame = stack[stack.length - 1];
    if (!frame || frame.next >= frame.keys.length) {
      stack.pop();
      continue;
    }
    const key = frame.keys[frame.next++];
    if (!key) continue;
    if (seen.has(key.cellOffset)) {
      repeats++;
      hive.report({
        code: 'LIST',
        offset: BASE_BLOCK_SIZE + key.cellOffset,
        reason: `key node ${key.cellOffset} reached again as "${key.path}" (a loop or a shared node); not walked twice`,
      });
      continue;
    }
    seen.add(key.cellOffset);
    if (!(await enter(key, frame.depth))) break;
  }
  return { keys, truncated, repeats };
}

/**
 * Shell and REPL history files. Each parser takes the file's lines (any
 * iterable, so a stream in bounded memory) and yields commands with their
 * 1-based line number and, where the format has one, the time. Pure
 * functions.
 */

/** One command from a history file. */
export interface HistoryCommand {
  /** Line of the file the command starts on. */
  readonly line: number;
  readonly command: string;
  /** Seconds since the epoch, when the file records it. */
  readonly time: number | null;
}

/** Lines as a stream or an array gives them. */
export type Lines = AsyncIterable<string> | Iterable<string>;

const BASH_TIME = /^#(\d{1,12})$/;

/**
 * bash: one command a line; with HISTTIMEFORMAT set, bash writes `#<epoch>`
 * on the line before each command, which dates that command.
 */
export async function* parseBashHistory(lines: Lines): AsyncGenerator<HistoryCommand> {
  let number = 0;
  let time: number | null = null;
  for await (const line of lines) {
    number++;
    const stamp = BASH_TIME.exec(line);
    if (stamp) {
      time = Number(stamp[1]);
      continue;
    }
    if (line.trim() === '') continue;
    yield { line: number, command: line, time };
    time = null;
  }
}

const ZSH_EXTENDED = /^: {0,2}(\d{1,12}):(\d+);(.*)$/s;

/** Whether a zsh history line continues on the next (ends in one backslash, not two). */
function continues(line: string): boolean {
  return line.endsWith('\\') && !line.endsWith('\\\\');
}

/**
 * zsh: plain lines, or EXTENDED_HISTORY `: <epoch>:<elapsed>;<command>`. A
 * command with a newline in it is written as lines ending in a backslash;
 * those are joined with `\n`. The lines must already be unmetafied (see
 * {@link unmetafyZsh}).
 */
export async function* parseZshHistory(lines: Lines): AsyncGenerator<HistoryCommand> {
  let number = 0;
  let pending: { line: number; parts: string[]; time: number | null } | null = null;
  for await (const line of lines) {
    number++;
    if (pending) {
      if (continues(line)) {
        pending.parts.push(line.slice(0, -1));
        continue;
      }
      pending.parts.push(line);
      yield { line: pending.line, command: pending.parts.join('\n'), time: pending.time };
      pending = null;
      continue;
    }
    const extended = ZSH_EXTENDED.exec(line);
    const text = extended ? (extended[3] as string) : line;
    const time = extended ? Number(extended[1]) : null;
    if (continues(text)) {
      pending = { line: number, parts: [text.slice(0, -1)], time };
      continue;
    }
    if (text.trim() === '') continue;
    yield { line: number, command: text, time };
  }
  if (pending) yield { line: pending.line, command: pending.parts.join('\n'), time: pending.time };
}

/** zsh's Meta byte: the byte after it is stored XOR 0x20. */
const ZSH_META = 0x83;

/**
 * Undoes zsh's "metafication" of history bytes (bytes 0x83–0x9f and NUL are
 * stored as 0x83 followed by the byte XOR 0x20), before UTF-8 decoding.
 *
 * @param bytes - one line as stored
 * @returns the original bytes (the same array when nothing was escaped)
 */
export function unmetafyZsh(bytes: Uint8Array): Uint8Array {
  if (!bytes.includes(ZSH_META)) return bytes;
  const out = new Uint8Array(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b === ZSH_META && i + 1 < bytes.length) out[n++] = (bytes[++i] as number) ^ 0x20;
    else out[n++] = b;
  }
  return out.subarray(0, n);
}

function unescapeFish(text: string): string {
  return text.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === '\\' ? '\\' : `\\${c}`));
}

/**
 * fish: a YAML-like list, `- cmd: <command>` then `  when: <epoch>` and
 * optionally `  paths:` with items. In the command, `\\` is a backslash and
 * `\n` a newline.
 */
export async function* parseFishHistory(lines: Lines): AsyncGenerator<HistoryCommand> {
  let number = 0;
  let pending: { line: number; command: string; time: number | null } | null = null;
  for await (const line of lines) {
    number++;
    if (line.startsWith('- cmd:')) {
      if (pending) yield pending;
      pending = { line: number, command: unescapeFish(line.slice(6).replace(/^ /, '')), time: null };
      continue;
    }
    const when = /^ {2}when: (\d{1,12})$/.exec(line);
    if (when && pending) pending.time = Number(when[1]);
  }
  if (pending) yield pending;
}

/** The first line libedit writes to a history file. */
const LIBEDIT_HEADER = '_HiStOrY_V2_';

function unvis(text: string): string {
  return text.replace(/\\(?:([0-7]{3})|(\\))/g, (_, octal: string | undefined) =>
    octal === undefined ? '\\' : String.fromCharCode(Number.parseInt(octal, 8)),
  );
}

/**
 * One command a line: sh, ash, python, mysql, psql and the like. A file
 * written by libedit (first line `_HiStOrY_V2_`, as mysql and psql may use)
 * has its octal escapes (`\040` for a space) decoded.
 */
export async function* parsePlainHistory(lines: Lines): AsyncGenerator<HistoryCommand> {
  let number = 0;
  let libedit = false;
  for await (const line of lines) {
    number++;
    if (number === 1 && line === LIBEDIT_HEADER) {
      libedit = true;
      continue;
    }
    if (line.trim() === '') continue;
    yield { line: number, command: libedit ? unvis(line) : line, time: null };
  }
}

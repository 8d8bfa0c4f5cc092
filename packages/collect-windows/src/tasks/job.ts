/**
 * Legacy Task Scheduler 1.0 job files (`C:\Windows\Tasks\*.job`, Windows
 * XP/2003 and still read by later Windows), per Microsoft [MS-TSCH] 2.4
 * ".JOB File Format": the fixed-length section (2.4.1, FIXDLEN_DATA, 68
 * bytes), then the variable-length section (2.4.2): running instance
 * count, application name, parameters, working directory, author, comment
 * (each a 2.4.2.1 Unicode string: a 16-bit character count including the
 * terminating NUL, then UTF-16LE), user data and reserved data (16-bit size,
 * then bytes), and triggers (2.4.2.11: a 16-bit count, then 48-byte
 * triggers). All little-endian. A field cut short or out of range becomes a
 * diagnostic and the fields before it are kept.
 */
import { TriageError } from '@triage/errors';
import type { ParseDiagnostic } from '../lnk/binary.js';

/** A problem inside a job file that did not stop the parse. */
export type JobDiagnostic = ParseDiagnostic;

/** [MS-TSCH] 2.4.2.11.1 trigger types. */
const TRIGGER_TYPES = [
  'once',
  'daily',
  'weekly',
  'monthlyDate',
  'monthlyDayOfWeek',
  'onIdle',
  'atSystemStart',
  'atLogon',
] as const;

/** The kind of a job trigger ([MS-TSCH] 2.4.2.11.1), or its number when unknown. */
export type JobTriggerType = (typeof TRIGGER_TYPES)[number] | number;

/** One trigger of a job file ([MS-TSCH] 2.4.2.11). */
export interface JobTrigger {
  readonly type: JobTriggerType;
  /** `YYYY-MM-DD`, the first day it may run; null when zero. */
  readonly beginDate: string | null;
  /** `YYYY-MM-DD`, the last day; null when not set. */
  readonly endDate: string | null;
  /** `HH:MM` local time of the start. */
  readonly startTime: string;
  readonly durationMinutes: number;
  readonly intervalMinutes: number;
  /** The trigger flags (0x1 has end date, 0x2 kill at duration end, 0x4 disabled). */
  readonly flags: number;
  readonly disabled: boolean;
  /** The three type-specific words, e.g. the days interval of a daily trigger. */
  readonly specific: readonly [number, number, number];
}

/** What {@link parseJobFile} reads. */
export interface JobFile {
  readonly productVersion: number;
  readonly fileVersion: number;
  /** The job's UUID, lower-case, in its usual text form. */
  readonly uuid: string;
  readonly priority: number;
  readonly maxRunTimeMs: number;
  readonly exitCode: number;
  /** The status HRESULT, e.g. 0x41300 (SCHED_S_TASK_READY), 0x41301 (running), 0x41303 (has not run). */
  readonly status: number;
  /** The task flags; 0x4 is TASK_FLAG_DISABLED, 0x200 TASK_FLAG_HIDDEN. */
  readonly flags: number;
  readonly disabled: boolean;
  readonly hidden: boolean;
  /**
   * The last run, as the SYSTEMTIME wrote it: the machine's local time, so
   * no zone (`YYYY-MM-DDTHH:MM:SS.mmm`); null when never run (all zero).
   */
  readonly lastRunLocal: string | null;
  readonly runningInstances: number;
  readonly applicationName: string;
  readonly parameters: string;
  readonly workingDirectory: string;
  readonly author: string;
  readonly comment: string;
  readonly userDataSize: number;
  readonly triggers: readonly JobTrigger[];
  readonly diagnostics: readonly JobDiagnostic[];
}

const FIXED = 68;
const TRIGGER_SIZE = 48;
/** Strings longer than this many characters are cut (a job file is a few KiB). */
const MAX_CHARS = 32_768;

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A GUID as stored (Data1–3 little-endian, Data4 as bytes) in its text form. */
function guid(b: Uint8Array): string {
  const le = (from: number, to: number) => hex(b.subarray(from, to).slice().reverse());
  return `${le(0, 4)}-${le(4, 6)}-${le(6, 8)}-${hex(b.subarray(8, 10))}-${hex(b.subarray(10, 16))}`;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/**
 * Parses a legacy `.job` file.
 *
 * @param bytes - the whole file (they are small)
 * @returns the job; damage past the fixed section is in `diagnostics`
 * @throws DATA_INVALID when the file is shorter than the 68-byte fixed section, or its fixed section is not a job's (a zero application-name offset or one inside the fixed section)
 */
export function parseJobFile(bytes: Uint8Array): JobFile {
  if (bytes.length < FIXED) {
    throw new TriageError(
      'DATA_INVALID',
      `This is not a Task Scheduler .job file: ${bytes.length} bytes, shorter than its 68-byte fixed section.`,
      { context: { size: bytes.length } },
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (at: number) => view.getUint16(at, true);
  const u32 = (at: number) => view.getUint32(at, true);
  const appNameOffset = u16(20);
  const triggerOffset = u16(22);
  if (appNameOffset < FIXED) {
    throw new TriageError(
      'DATA_INVALID',
      `This is not a Task Scheduler .job file: its application name offset ${appNameOffset} is inside the 68-byte fixed section.`,
      { context: { appNameOffset } },
    );
  }
  const diagnostics: JobDiagnostic[] = [];
  const problem = (structure: string, offset: number | null, message: string) =>
    diagnostics.push({ structure, offset, message });

  const year = u16(52);
  const lastRunLocal =
    year === 0
      ? null
      : `${pad(year, 4)}-${pad(u16(54))}-${pad(u16(58))}T${pad(u16(60))}:${pad(u16(62))}:${pad(u16(64))}.${pad(u16(66), 3)}`;
  const flags = u32(48);

  // The variable-length section, field by field; a field that does not fit stops the walk.
  let at = FIXED;
  let stopped = false;
  const need = (structure: string, size: number): boolean => {
    if (stopped) return false;
    if (at + size > bytes.length) {
      problem(
        structure,
        at,
        `needs ${size} bytes at offset ${at}, but the file ends at ${bytes.length}; the rest is not read`,
      );
      stopped = true;
      return false;
    }
    return true;
  };
  const runningInstances = need('Running Instance Count', 2) ? u16(at) : 0;
  if (!stopped) at += 2;
  if (!stopped && at !== appNameOffset) {
    problem(
      'Application Name',
      at,
      `the fixed section says the application name is at ${appNameOffset}, the variable section puts it at ${at}; read from ${appNameOffset}`,
    );
    at = appNameOffset;
  }
  const unicode = (structure: string): string => {
    if (!need(structure, 2)) return '';
    const count = u16(at);
    at += 2;
    if (count === 0) return '';
    if (count > MAX_CHARS)
      problem(structure, at - 2, `${count} characters declared; read the first ${MAX_CHARS}`);
    const chars = Math.min(count, MAX_CHARS);
    if (!need(structure, chars * 2)) return '';
    const text = Buffer.from(bytes.buffer, bytes.byteOffset + at, chars * 2).toString('utf16le');
    at += count * 2;
    // The count includes the terminating NUL.
    return text.endsWith('\0') ? text.slice(0, -1) : text;
  };
  const applicationName = unicode('Application Name');
  const parameters = unicode('Parameters');
  const workingDirectory = unicode('Working Directory');
  const author = unicode('Author');
  const comment = unicode('Comment');
  let userDataSize = 0;
  for (const structure of ['User Data', 'Reserved Data']) {
    if (!need(structure, 2)) break;
    const size = u16(at);
    at += 2;
    if (structure === 'User Data') userDataSize = size;
    if (!need(structure, size)) break;
    at += size;
  }
  if (!stopped && at !== triggerOffset) {
    problem(
      'Triggers',
      at,
      `the fixed section says the triggers are at ${triggerOffset}, the variable section puts them at ${at}; read from ${triggerOffset}`,
    );
    at = triggerOffset;
  }
  const triggers: JobTrigger[] = [];
  if (need('Triggers', 2)) {
    const count = u16(at);
    at += 2;
    for (let i = 0; i < count && need(`Triggers[${i}]`, TRIGGER_SIZE); i++) {
      const t = at;
      const size = u16(t);
      if (size !== TRIGGER_SIZE) problem(`Triggers[${i}]`, t, `trigger size ${size}, not 48; read as 48`);
      const date = (y: number, m: number, d: number) => (y === 0 ? null : `${pad(y, 4)}-${pad(m)}-${pad(d)}`);
      const triggerFlags = u32(t + 28);
      const typeCode = u32(t + 32);
      triggers.push({
        type: TRIGGER_TYPES[typeCode] ?? typeCode,
        beginDate: date(u16(t + 4), u16(t + 6), u16(t + 8)),
        // The end date counts only with TASK_TRIGGER_FLAG_HAS_END_DATE.
        endDate: (triggerFlags & 0x1) !== 0 ? date(u16(t + 10), u16(t + 12), u16(t + 14)) : null,
        startTime: `${pad(u16(t + 16))}:${pad(u16(t + 18))}`,
        durationMinutes: u32(t + 20),
        intervalMinutes: u32(t + 24),
        flags: triggerFlags,
        disabled: (triggerFlags & 0x4) !== 0,
        specific: [u16(t + 36), u16(t + 38), u16(t + 40)],
      });
      at += TRIGGER_SIZE;
    }
  }
  return {
    productVersion: u16(0),
    fileVersion: u16(2),
    uuid: guid(bytes.subarray(4, 20)),
    priority: u32(32),
    maxRunTimeMs: u32(36),
    exitCode: u32(40),
    status: u32(44),
    flags,
    disabled: (flags & 0x4) !== 0,
    hidden: (flags & 0x200) !== 0,
    lastRunLocal,
    runningInstances,
    applicationName,
    parameters,
    workingDirectory,
    author,
    comment,
    userDataSize,
    triggers,
    diagnostics,
  };
}

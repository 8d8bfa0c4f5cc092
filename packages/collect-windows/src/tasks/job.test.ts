/**
 * Legacy .job files: the plaso sample (its values as plaso's own test of
 * the same file states them: application, parameters, author, last run
 * 2013-08-24 12:42:00.112, one daily trigger from 2013-07-12 15:42), built
 * files for every field and damage case, and seeded mutations.
 */
import { isTriageError } from '@triage/errors';
import { describe, expect, it } from 'vitest';
import { readSample } from '../testing/sample-files.js';
import { prng } from '../testing/seeded-random.js';
import { parseJobFile } from './job.js';

function utf16(text: string): number[] {
  if (text === '') return [0, 0];
  const count = text.length + 1;
  return [count & 0xff, count >> 8, ...Buffer.from(`${text}\0`, 'utf16le')];
}

const u16 = (n: number) => [n & 0xff, (n >> 8) & 0xff];
const u32 = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];

/** A job file per [MS-TSCH] 2.4 with one trigger per entry of `triggers` (type codes). */
function buildJob(fields: {
  app: string;
  params: string;
  dir: string;
  author: string;
  comment: string;
  flags?: number;
  triggers?: number[];
}): Uint8Array {
  const variable = [
    ...u16(0),
    ...utf16(fields.app),
    ...utf16(fields.params),
    ...utf16(fields.dir),
    ...utf16(fields.author),
    ...utf16(fields.comment),
    ...u16(0), // user data
    ...u16(8),
    ...new Array(8).fill(0), // reserved data
  ];
  const triggerOffset = 68 + variable.length;
  const triggers = fields.triggers ?? [1];
  const trigger = (type: number) => [
    ...u16(48),
    ...u16(0),
    ...u16(2024),
    ...u16(2),
    ...u16(29),
    ...u16(2024),
    ...u16(12),
    ...u16(31),
    ...u16(3),
    ...u16(5),
    ...u32(60),
    ...u32(15),
    ...u32(type === 0 ? 0x1 : 0x4),
    ...u32(type),
    ...u16(7),
    ...u16(0),
    ...u16(0),
    ...u16(0),
    ...u16(0),
    ...u16(0),
  ];
  const fixed = [
    ...u16(0x0601),
    ...u16(1),
    ...[0x78, 0x56, 0x34, 0x12, 0xbc, 0x9a, 0xf0, 0xde, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef],
    ...u16(70),
    ...u16(triggerOffset),
    ...u16(0),
    ...u16(0),
    ...u16(10),
    ...u16(60),
    ...u32(0x20),
    ...u32(259_200_000),
    ...u32(0),
    ...u32(0x41303),
    ...u32(fields.flags ?? 0),
    ...new Array(16).fill(0),
  ];
  return Uint8Array.from([...fixed, ...variable, ...u16(triggers.length), ...triggers.flatMap(trigger)]);
}

describe('parseJobFile', () => {
  it('reads the plaso sample', () => {
    const job = parseJobFile(readSample('tasks_legacy/wintask.job'));
    expect(job).toMatchObject({
      productVersion: 0x0601,
      fileVersion: 1,
      applicationName: 'C:\\Program Files (x86)\\Google\\Update\\GoogleUpdate.exe',
      parameters: '/ua /installsource scheduler',
      workingDirectory: '',
      author: 'Brian',
      lastRunLocal: '2013-08-24T12:42:00.112',
      status: 0x41300,
      priority: 0x20,
      disabled: false,
      diagnostics: [],
    });
    expect(job.comment).toMatch(/^Keeps your Google software up to date\. .* using it\.$/);
    expect(job.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(job.triggers).toEqual([
      {
        type: 'daily',
        beginDate: '2013-07-12',
        endDate: null,
        startTime: '15:42',
        durationMinutes: 1440,
        intervalMinutes: 60,
        flags: 0,
        disabled: false,
        specific: [1, 0, 0],
      },
    ]);
  });

  it('reads every field of a built file, flags and trigger kinds included', () => {
    const job = parseJobFile(
      buildJob({
        app: 'C:\\t\\x.exe',
        params: '-q',
        dir: 'C:\\t',
        author: 'ACME\\bob',
        comment: 'c',
        flags: 0x204,
        triggers: [0, 7, 99],
      }),
    );
    expect(job).toMatchObject({
      uuid: '12345678-9abc-def0-0123-456789abcdef',
      applicationName: 'C:\\t\\x.exe',
      parameters: '-q',
      workingDirectory: 'C:\\t',
      author: 'ACME\\bob',
      comment: 'c',
      disabled: true,
      hidden: true,
      lastRunLocal: null,
      maxRunTimeMs: 259_200_000,
      status: 0x41303,
      diagnostics: [],
    });
    expect(job.triggers.map((t) => [t.type, t.beginDate, t.endDate, t.startTime, t.disabled])).toEqual([
      ['once', '2024-02-29', '2024-12-31', '03:05', false],
      ['atLogon', '2024-02-29', null, '03:05', true],
      [99, '2024-02-29', null, '03:05', true],
    ]);
  });

  it('keeps what it read before a cut, and says where the file ended', () => {
    const whole = buildJob({ app: 'C:\\a.exe', params: 'p', dir: '', author: 'x', comment: 'y' });
    const cut = parseJobFile(whole.subarray(0, 68 + 2 + 2 + 18 + 3));
    expect(cut.applicationName).toBe('C:\\a.exe');
    expect(cut.parameters).toBe('');
    expect(cut.triggers).toEqual([]);
    expect(cut.diagnostics).toHaveLength(1);
    expect(cut.diagnostics[0]?.message).toMatch(/the file ends at 93; the rest is not read/);
  });

  it('refuses what is not a job file', () => {
    for (const bytes of [new Uint8Array(10), new Uint8Array(100)]) {
      const error = (() => {
        try {
          parseJobFile(bytes);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(isTriageError(error, 'DATA_INVALID')).toBe(true);
    }
  });

  it('never throws anything but DATA_INVALID on 2,000 mutations of the sample', () => {
    const random = prng(0x10b);
    const sample = readSample('tasks_legacy/wintask.job');
    let parsed = 0;
    for (let i = 0; i < 2000; i++) {
      const bytes = Uint8Array.from(sample);
      const edits = 1 + Math.floor(random() * 8);
      for (let e = 0; e < edits; e++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      const input = random() < 0.3 ? bytes.subarray(0, Math.floor(random() * bytes.length)) : bytes;
      try {
        const job = parseJobFile(input);
        parsed++;
        expect(JSON.parse(JSON.stringify(job))).toEqual(job);
      } catch (error) {
        if (!isTriageError(error, 'DATA_INVALID')) throw new Error(`input ${i}: ${String(error)}`);
      }
    }
    expect(parsed).toBeGreaterThan(1000);
  });
});

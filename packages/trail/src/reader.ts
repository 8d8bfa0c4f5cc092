/**
 * The streaming CloudTrail reader: files from any {@link TrailSource}
 * (a local folder here; S3 or anything else from the caller), gzip or not,
 * split into records with bounded memory, normalised into {@link TrailEvent}s.
 * A malformed file or record becomes a {@link TrailDiagnostic}, never a throw.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { createGunzip, gunzipSync } from 'node:zlib';
import { TriageError } from '@triage/errors';
import type { Transport } from '@triage/s3-transport';
import { RecordSplitter, wholeRecords } from './splitter.js';

/** One CloudTrail file: a name for diagnostics and its bytes (gzip is detected from the bytes). */
export interface TrailFile {
  /** A path or `s3://bucket/key`; shown in diagnostics. */
  readonly name: string;
  /** The file's bytes, read once, in order. A Node `Readable` is one. */
  readonly bytes: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
}

/** Where files come from: {@link localTrailSource}, or e.g. an S3 prefix listing built by the app. */
export type TrailSource = AsyncIterable<TrailFile> | Iterable<TrailFile>;

/** A file or record that could not be read, and why. The reader goes on with the next one. */
export interface TrailDiagnostic {
  readonly file: string;
  /** The record's position in its file, from 0, when the problem is one record's. */
  readonly record?: number;
  /** Byte offset in the (decompressed) file. */
  readonly offset?: number;
  readonly reason: string;
}

/** The caller of a CloudTrail event, flattened from `userIdentity`. */
export interface TrailIdentity {
  /** `IAMUser`, `AssumedRole`, `FederatedUser`, `Root`, `AWSService`, `AWSAccount`, `SAMLUser`, `WebIdentityUser`… */
  readonly type: string | undefined;
  readonly arn: string | undefined;
  /** Absent or empty in some records (console sign-in, service calls); then `undefined`. */
  readonly accessKeyId: string | undefined;
  readonly principalId: string | undefined;
  readonly accountId: string | undefined;
  readonly userName: string | undefined;
  /** `sessionContext.sessionIssuer.arn`: the role or user a temporary key belongs to. */
  readonly sessionIssuerArn: string | undefined;
  readonly sessionIssuerType: string | undefined;
  /** `sessionContext.attributes.creationDate` in ms since the epoch. */
  readonly creationDate: number | undefined;
  /** `sessionContext.attributes.mfaAuthenticated === "true"`. */
  readonly mfaAuthenticated: boolean;
  /** `userIdentity.invokedBy`: an AWS service calling on the principal's behalf. */
  readonly invokedBy: string | undefined;
  /** `sessionContext.ec2RoleDelivery`: the key is an EC2 instance profile's. */
  readonly ec2RoleDelivery: string | undefined;
}

/** One CloudTrail record, normalised. */
export interface TrailEvent {
  /** `eventID`, or `FILE#INDEX` when the record has none. */
  readonly eventId: string;
  /** ms since the epoch, from `eventTime` or `@timestamp`. */
  readonly eventTime: number;
  /** `ListObjects` with `"list-type": "2"` is reported as `ListObjectsV2`. */
  readonly eventName: string;
  readonly eventSource: string;
  /** `eventSource` before `.amazonaws.com`: `s3`, `sts`, `iam`… */
  readonly service: string;
  readonly awsRegion: string | undefined;
  readonly sourceIp: string | undefined;
  readonly userAgent: string | undefined;
  readonly errorCode: string | undefined;
  readonly errorMessage: string | undefined;
  readonly identity: TrailIdentity;
  readonly requestParameters: Readonly<Record<string, unknown>> | undefined;
  readonly responseElements: Readonly<Record<string, unknown>> | undefined;
  readonly additionalEventData: Readonly<Record<string, unknown>> | undefined;
  /** `sessionCredentialFromConsole === "true"`. */
  readonly sessionCredentialFromConsole: boolean;
  readonly recipientAccountId: string | undefined;
  /** Where it was read: the file's name and the record's position in it. */
  readonly file: string;
  readonly index: number;
}

/** Options for {@link readTrail}. */
export interface ReadTrailOptions {
  /** Called for each file or record that could not be read; default: ignored. */
  readonly onDiagnostic?: (diagnostic: TrailDiagnostic) => void;
  /** Only events at or after this time. */
  readonly since?: Date;
  /** Only events before this time. */
  readonly until?: Date;
  /** A record larger than this is skipped with a diagnostic; default 16 MiB. */
  readonly maxRecordBytes?: number;
  /** Stops reading between records. */
  readonly signal?: AbortSignal;
}

const MONTHS: Readonly<Record<string, number>> = {
  jan: 0,
  feb: 1,
  mar: 2,
  apr: 3,
  may: 4,
  jun: 5,
  jul: 6,
  aug: 7,
  sep: 8,
  oct: 9,
  nov: 10,
  dec: 11,
};

const HUMAN_TIME = /^([A-Za-z]{3})\s+(\d{1,2}),\s*(\d{4}),?\s+(\d{1,2}):(\d{2}):(\d{2})\s*([AaPp][Mm])$/;

/** Two ASCII digits at `i` as a number, or -1. */
function twoDigits(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * The form CloudTrail writes, `YYYY-MM-DDTHH:MM:SSZ` (or with `.sss`), without
 * `Date.parse`: the same ms for every value it accepts (V8 takes any day 1–31
 * and rolls it over as `Date.UTC` does); `undefined` for anything else
 * (other forms, hour 24, years before 100), which `Date.parse` then reads.
 */
function isoTime(s: string): number | undefined {
  const n = s.length;
  if (
    (n !== 20 && n !== 24) ||
    s.charCodeAt(n - 1) !== 0x5a ||
    s.charCodeAt(4) !== 0x2d ||
    s.charCodeAt(7) !== 0x2d ||
    s.charCodeAt(10) !== 0x54 ||
    s.charCodeAt(13) !== 0x3a ||
    s.charCodeAt(16) !== 0x3a
  )
    return undefined;
  const century = twoDigits(s, 0);
  const yy = twoDigits(s, 2);
  const month = twoDigits(s, 5);
  const day = twoDigits(s, 8);
  const hour = twoDigits(s, 11);
  const minute = twoDigits(s, 14);
  const second = twoDigits(s, 17);
  let ms = 0;
  if (n === 24) {
    const a = twoDigits(s, 20);
    const b = s.charCodeAt(22) - 48;
    if (s.charCodeAt(19) !== 0x2e || a < 0 || b < 0 || b > 9) return undefined;
    ms = a * 10 + b;
  }
  if (
    century < 1 ||
    yy < 0 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > 31 ||
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 59
  )
    return undefined;
  return Date.UTC(century * 100 + yy, month - 1, day, hour, minute, second, ms);
}

/**
 * Parses a CloudTrail time: ISO 8601 (`2024-11-30T08:43:17Z`) or the
 * human forms STS uses for `credentials.expiration` ("Nov 29, 2018 11:03:12
 * AM", "Jul 10, 2023, 12:09:47 PM"), which are UTC.
 *
 * @param value - the logged value
 * @returns ms since the epoch, or `undefined` when it is not a time
 */
export function parseTrailTime(value: unknown): number | undefined {
  // A number is ms since the epoch, if a Date can hold it (±8.64e15 ms): a bigger one is no time.
  if (typeof value === 'number') return Math.abs(value) <= 8.64e15 ? value : undefined;
  if (typeof value !== 'string' || value.length === 0) return undefined;
  const iso = isoTime(value);
  if (iso !== undefined) return iso;
  const human = HUMAN_TIME.exec(value.trim());
  if (human) {
    const [, mon, day, year, hh, mm, ss, ampm] = human as unknown as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const month = MONTHS[mon.toLowerCase()];
    let hour = Number(hh);
    if (month === undefined || hour < 1 || hour > 12) return undefined;
    if (ampm.toUpperCase() === 'AM') hour = hour === 12 ? 0 : hour;
    else hour = hour === 12 ? 12 : hour + 12;
    return Date.UTC(Number(year), month, Number(day), hour, Number(mm), Number(ss));
  }
  if (!/^\d{4}-\d{2}-\d{2}/.test(value)) return undefined;
  // A time of day without a zone is UTC, as every CloudTrail time is; never this machine's zone.
  const zoned = /^\d{4}-\d{2}-\d{2}[T ][\d:.]+$/.test(value) ? `${value}Z` : value;
  const ms = Date.parse(zoned);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * V8's JSON.parse message without the piece of the input it quotes
 * (`… "…ken":"FwoGZ"… is not valid JSON`): a record may hold a session token.
 */
function jsonErrorReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message
    .replace(/,\s*(?:\.\.\.)?".*$/s, '')
    .replace(/\s+in JSON at position/, ' at position')
    .slice(0, 120);
}

function obj(value: unknown): Readonly<Record<string, unknown>> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** `"true"` or `true`; never `String(value)`, which throws for a parsed `{"toString":1}`. */
function isTrue(value: unknown): boolean {
  return value === 'true' || value === true;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function identityOf(raw: unknown): TrailIdentity {
  const ui = obj(raw) ?? {};
  const ctx = obj(ui.sessionContext);
  const attrs = obj(ctx?.attributes);
  const issuer = obj(ctx?.sessionIssuer);
  return {
    type: str(ui.type),
    arn: str(ui.arn),
    accessKeyId: str(ui.accessKeyId),
    principalId: str(ui.principalId),
    accountId: str(ui.accountId),
    userName: str(ui.userName) ?? str(issuer?.userName),
    sessionIssuerArn: str(issuer?.arn),
    sessionIssuerType: str(issuer?.type),
    creationDate: parseTrailTime(attrs?.creationDate),
    mfaAuthenticated: isTrue(attrs?.mfaAuthenticated),
    invokedBy: str(ui.invokedBy),
    ec2RoleDelivery: str(ctx?.ec2RoleDelivery),
  };
}

const AMAZONAWS = '.amazonaws.com';

/**
 * Normalises one parsed CloudTrail record.
 *
 * @param raw - the parsed JSON
 * @param file - where it was read, for `eventId` fallbacks
 * @param index - its position in the file
 * @returns the event, or a reason string when it is not a usable record
 */
export function normalizeRecord(raw: unknown, file: string, index: number): TrailEvent | string {
  const r = obj(raw);
  if (r === undefined) return 'record is not a JSON object';
  const eventTime = parseTrailTime(r.eventTime ?? r['@timestamp']);
  if (eventTime === undefined) return 'record has no valid eventTime or @timestamp';
  const name = str(r.eventName);
  if (name === undefined) return 'record has no eventName';
  const eventSource = str(r.eventSource) ?? '';
  const requestParameters = obj(r.requestParameters);
  const listType = requestParameters?.['list-type'];
  const eventName = name === 'ListObjects' && (listType === '2' || listType === 2) ? 'ListObjectsV2' : name;
  return {
    eventId: str(r.eventID) ?? `${file}#${index}`,
    eventTime,
    eventName,
    eventSource,
    service: eventSource.endsWith(AMAZONAWS) ? eventSource.slice(0, -AMAZONAWS.length) : eventSource,
    awsRegion: str(r.awsRegion),
    sourceIp: str(r.sourceIPAddress),
    userAgent: str(r.userAgent),
    errorCode: str(r.errorCode),
    errorMessage: str(r.errorMessage),
    identity: identityOf(r.userIdentity),
    requestParameters,
    responseElements: obj(r.responseElements),
    additionalEventData: obj(r.additionalEventData),
    sessionCredentialFromConsole: isTrue(r.sessionCredentialFromConsole),
    recipientAccountId: str(r.recipientAccountId),
    file,
    index,
  };
}

function toBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

type ByteIterator = AsyncIterator<Uint8Array> | Iterator<Uint8Array>;

function iteratorOf(bytes: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): ByteIterator {
  return (
    Symbol.asyncIterator in bytes
      ? (bytes as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
      : (bytes as Iterable<Uint8Array>)[Symbol.iterator]()
  ) as ByteIterator;
}

/**
 * The file's bytes, gunzipped when they start with the gzip magic. When
 * reading stops early (an error, a cancel, a consumer that stops), the
 * file's own iterator is closed, so a file stream or a download ends too.
 */
async function* decoded(iterator: ByteIterator): AsyncGenerator<Buffer> {
  let finished = false;
  try {
    yield* decodedBytes(iterator);
    finished = true;
  } finally {
    if (!finished) await Promise.resolve(iterator.return?.()).catch(() => undefined);
  }
}

async function* decodedBytes(iterator: ByteIterator): AsyncGenerator<Buffer> {
  // The gzip magic is two bytes, which may come in two chunks.
  let first: Buffer = Buffer.alloc(0);
  for (;;) {
    const step = await iterator.next();
    if (step.done) {
      if (first.length > 0) yield first;
      return;
    }
    first = first.length === 0 ? toBuffer(step.value) : Buffer.concat([first, toBuffer(step.value)]);
    if (first.length >= 2) break;
  }
  if (!isGzip(first)) {
    yield first;
    for (;;) {
      const step = await iterator.next();
      if (step.done) return;
      yield toBuffer(step.value);
    }
  }
  const gunzip = createGunzip();
  const head = first;
  const feed = (async () => {
    let chunk: Buffer | undefined = head;
    while (chunk !== undefined) {
      // A destroyed gunzip (it failed, or reading stopped) never drains: 'close' ends the wait too.
      if (!gunzip.write(chunk) && !gunzip.destroyed) {
        await new Promise<void>((resolve) => {
          const done = () => {
            gunzip.off('drain', done);
            gunzip.off('close', done);
            resolve();
          };
          gunzip.on('drain', done);
          gunzip.on('close', done);
        });
      }
      if (gunzip.destroyed) return;
      const step = await iterator.next();
      chunk = step.done ? undefined : toBuffer(step.value);
    }
    gunzip.end();
  })().catch((error: unknown) => gunzip.destroy(error instanceof Error ? error : new Error(String(error))));
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } finally {
    gunzip.destroy();
    await feed;
  }
}

/** Gzip is told by the first two bytes of the file (which may come in two chunks). */
function isGzip(first: Buffer): boolean {
  return first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b;
}

/** The chunks already read, then the rest of `rest` (or, after them, the error reading stopped on). */
function replay(
  read: readonly Buffer[],
  rest: ByteIterator,
  failure?: { readonly error: unknown },
): ByteIterator {
  let next = 0;
  return {
    next: async () => {
      if (next < read.length) return { done: false, value: read[next++] as Buffer };
      if (failure !== undefined) throw failure.error;
      return rest.next();
    },
    return: async () => {
      await Promise.resolve(rest.return?.()).catch(() => undefined);
      return { done: true, value: undefined };
    },
  };
}

/**
 * Files (and, gzipped, their content) up to this size are read whole, and a
 * `{"Records":[…]}` one parsed in one `JSON.parse` ({@link wholeRecords});
 * bigger ones are streamed through the splitter. CloudTrail delivers files
 * every few minutes per region, most far smaller than this.
 */
const WHOLE_FILE_BYTES = 4 * 1024 * 1024;

/**
 * A file's decoded bytes: the whole of them when the file, and gzipped its
 * content, is at most `limit` bytes; otherwise the chunks {@link decoded}
 * makes of it (those already read replayed first, then the rest, or the
 * error reading failed with), so a big, broken or failing file reads and
 * fails exactly as a streamed one.
 */
async function openDecoded(
  bytes: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  limit: number,
): Promise<Buffer | AsyncGenerator<Buffer>> {
  const iterator = iteratorOf(bytes);
  const read: Buffer[] = [];
  let size = 0;
  try {
    for (;;) {
      const step = await iterator.next();
      if (step.done) break;
      const chunk = toBuffer(step.value);
      read.push(chunk);
      size += chunk.length;
      if (size > limit) return decoded(replay(read, iterator));
    }
  } catch (error) {
    return decoded(replay(read, iterator, { error }));
  }
  const first = read.find((chunk) => chunk.length > 0);
  if (first === undefined) return Buffer.alloc(0);
  const whole = read.length === 1 ? first : Buffer.concat(read, size);
  if (!isGzip(whole)) return whole;
  // The trailer's ISIZE is the (last member's) size mod 2^32: bigger than the limit means streaming.
  if (whole.length >= 18 && whole.readUInt32LE(whole.length - 4) > limit)
    return decoded(replay(read, iterator));
  try {
    return gunzipSync(whole, { maxOutputLength: limit });
  } catch {
    // Too big after all, or broken: the stream reads what it can and reports the rest.
    return decoded(replay(read, iterator));
  }
}

/**
 * {@link readTrail}'s events in batches, one per piece of input read (a
 * whole small file, or a chunk of a big one): what `readTrail` and
 * `traceTrail` iterate, so an event costs no promise of its own.
 *
 * @internal
 */
export async function* readTrailBatches(
  source: TrailSource,
  options: ReadTrailOptions = {},
): AsyncGenerator<TrailEvent[]> {
  const report = options.onDiagnostic ?? (() => {});
  const since = options.since?.getTime() ?? Number.NEGATIVE_INFINITY;
  const until = options.until?.getTime() ?? Number.POSITIVE_INFINITY;
  const maxRecordBytes = options.maxRecordBytes ?? 16 * 1024 * 1024;
  for await (const file of source) {
    if (options.signal?.aborted) throw aborted();
    const name = file.name;
    let ready: TrailEvent[] = [];
    const accept = (parsed: unknown, index: number) => {
      const event = normalizeRecord(parsed, name, index);
      if (typeof event === 'string') report({ file: name, record: index, reason: event });
      else if (event.eventTime >= since && event.eventTime < until) ready.push(event);
    };
    const preferLines = /\.(ndjson|jsonl)(\.gz)?$/i.test(name);
    const splitter = new RecordSplitter(
      {
        record(bytes, index) {
          let parsed: unknown;
          try {
            parsed = JSON.parse(bytes.toString('utf8'));
          } catch (error) {
            report({
              file: name,
              record: index,
              reason: `invalid JSON: ${jsonErrorReason(error)}`,
            });
            return;
          }
          accept(parsed, index);
        },
        problem(reason, offset, index) {
          report(
            index === undefined
              ? { file: name, offset, reason }
              : { file: name, record: index, offset, reason },
          );
        },
      },
      maxRecordBytes,
      preferLines,
    );
    // Parsed whole, the file never reached the splitter, which must then not report it empty.
    let parsedWhole = false;
    // A read that fails before any byte is reported once, as that failure, not also as an empty file.
    let pushed = false;
    try {
      const opened = await openDecoded(file.bytes, Math.min(WHOLE_FILE_BYTES, maxRecordBytes));
      const whole = Buffer.isBuffer(opened);
      // The pieces the file is read in: itself when read whole (an empty file is none), or its chunks.
      const pieces = whole ? (opened.length > 0 ? [opened] : []) : opened;
      for await (const piece of pieces) {
        const records = whole && !preferLines ? wholeRecords(piece) : undefined;
        if (records === undefined) {
          splitter.push(piece);
          pushed = true;
        } else {
          parsedWhole = true;
          for (let index = 0; index < records.length; index++) accept(records[index], index);
        }
        if (ready.length > 0) {
          const batch = ready;
          ready = [];
          yield batch;
        }
        if (options.signal?.aborted) throw aborted();
      }
      if (!parsedWhole) splitter.end();
    } catch (error) {
      // Cancelling stops everything; any other failure is this file's (a bad gzip, a refused download).
      if (error instanceof TriageError && error.code === 'ABORTED') throw error;
      if (!parsedWhole && pushed) splitter.end();
      report({ file: name, reason: `could not read: ${(error as Error).message ?? String(error)}` });
    }
    if (ready.length > 0) yield ready;
  }
}

/**
 * Reads CloudTrail records from every file of `source`: `{"Records":[…]}`
 * files (as CloudTrail writes them, usually `.json.gz`), plain JSON arrays
 * of records, and one record per line (NDJSON, `@timestamp` accepted for
 * `eventTime`). Memory stays bounded by the largest record, not the file.
 * Files are read one after another, records in file order.
 *
 * @param source - the files, e.g. {@link localTrailSource}
 * @param options - see {@link ReadTrailOptions}
 * @returns the events, lazily
 * @throws ABORTED when `options.signal` aborts; errors thrown by `source` itself (e.g. NOT_FOUND from {@link localTrailSource}) pass through
 */
export async function* readTrail(
  source: TrailSource,
  options: ReadTrailOptions = {},
): AsyncGenerator<TrailEvent> {
  for await (const batch of readTrailBatches(source, options)) {
    for (const event of batch) {
      // Stops between records: nothing more once the signal is aborted, even of a batch already read.
      if (options.signal?.aborted) throw aborted();
      yield event;
    }
  }
}

function aborted(): TriageError {
  return new TriageError('ABORTED', 'Reading CloudTrail was cancelled; nothing more was read.');
}

/** File names the sources read: `.json`, `.json.gz`, `.jsonl`, `.ndjson` (and `.gz`). */
export const TRAIL_FILE_PATTERN = /\.(json|jsonl|ndjson)(\.gz)?$|\.gz$/i;

/** A trail file, not one of CloudTrail's digest files (`…/CloudTrail-Digest/…_CloudTrail-Digest_….json.gz`), which hold hashes, not events. */
function isTrailFile(path: string): boolean {
  return TRAIL_FILE_PATTERN.test(path) && !path.includes('CloudTrail-Digest');
}

/** Byte order of UTF-16 code units, as S3 lists keys (for ASCII names); not the locale's order. */
function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Every CloudTrail-looking file (`.json`, `.json.gz`, `.jsonl`, `.ndjson`,
 * `.gz`) under a folder, recursively and in name order, or one file.
 * Files are opened only when read.
 *
 * @param path - a folder or a file
 * @returns the source for {@link readTrail}
 * @throws NOT_FOUND when `path` does not exist (when iterated); IO_ERROR when it cannot be listed
 */
export async function* localTrailSource(path: string): AsyncGenerator<TrailFile> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (error) {
    throw new TriageError('NOT_FOUND', `No such CloudTrail file or folder: ${path}; check the path.`, {
      cause: error,
      context: { path },
    });
  }
  const open = (file: string): TrailFile => ({
    name: file,
    bytes: {
      [Symbol.asyncIterator]: () =>
        createReadStream(file, { highWaterMark: 1 << 20 })[Symbol.asyncIterator](),
    },
  });
  if (!info.isDirectory()) {
    yield open(path);
    return;
  }
  let entries: string[];
  try {
    entries = (await readdir(path, { recursive: true, withFileTypes: true }))
      .map((e) => ({ entry: e, file: join(e.parentPath, e.name) }))
      .filter(({ entry, file }) => entry.isFile() && isTrailFile(relative(path, file)))
      .map(({ file }) => file)
      .sort((a, b) => byName(relative(path, a), relative(path, b)));
  } catch (error) {
    throw new TriageError('IO_ERROR', `Could not list ${path}; check its permissions.`, {
      cause: error,
      context: { path },
    });
  }
  for (const file of entries) yield open(file);
}

/** What {@link s3TrailSource} needs of an `@triage/s3-transport` transport. */
export type TrailTransport = Pick<Transport, 'bucket' | 'list' | 'download'>;

/**
 * Every CloudTrail-looking object under an S3 prefix (as {@link localTrailSource}
 * picks files), in key order, each downloaded (ranged and verified by
 * `@triage/s3-transport`) only when {@link readTrail} reads it. A download
 * that fails becomes that file's diagnostic; listing errors are thrown.
 *
 * @param transport - from `createTransport({ bucket, client })`; only `list` and `download` are used
 * @param prefix - e.g. `AWSLogs/111122223333/CloudTrail/`
 * @param options - `signal` to stop listing and downloads
 * @returns the source for {@link readTrail}
 * @throws the transport's listing errors (PERMISSION_DENIED, NOT_FOUND, NETWORK_ERROR…) when iterated
 */
export async function* s3TrailSource(
  transport: TrailTransport,
  prefix: string,
  options: { readonly signal?: AbortSignal } = {},
): AsyncGenerator<TrailFile> {
  const signal = options.signal;
  for await (const object of transport.list(prefix, signal ? { signal } : {})) {
    if (!isTrailFile(object.key)) continue;
    const key = object.key;
    yield {
      name: `s3://${transport.bucket}/${key}`,
      bytes: {
        async *[Symbol.asyncIterator]() {
          const download = await transport.download(key, signal ? { signal } : {});
          // The stream itself errors on a failed check; `done` must not reject unobserved.
          download.done.catch(() => undefined);
          const reader = download.stream.getReader();
          let finished = false;
          try {
            for (;;) {
              const step = await reader.read();
              if (step.done) break;
              yield step.value;
            }
            finished = true;
          } finally {
            // Stopped early (an error, a cancel): stop the download too.
            if (!finished) await reader.cancel().catch(() => undefined);
            reader.releaseLock();
          }
          await download.done;
        },
      },
    };
  }
}

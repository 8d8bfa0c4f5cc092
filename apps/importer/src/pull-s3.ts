/** `triage-import pull`: every collection under a prefix that is not imported yet. */
import { resolve } from 'node:path';
import { importCollection, openCaseStore } from '@triage/case-store';
import { openCollection } from '@triage/collection';
import { readIdentityFile } from '@triage/encryption';
import { TriageError, toTriageError } from '@triage/errors';
import { createTransport, proxyFromEnv, type Transport } from '@triage/s3-transport';
import type { Deps } from './deps.js';
import { ImportProgress } from './progress.js';

/** Flags of `triage-import pull`. */
export interface PullFlags {
  readonly bucket: string;
  readonly prefix: string;
  readonly region: string;
  readonly endpoint?: string | undefined;
  readonly forcePathStyle?: boolean | undefined;
  readonly identity: string;
  readonly db: string;
  readonly verifyKey?: readonly string[] | undefined;
  readonly examiner?: string | undefined;
  /** No progress lines on stderr. */
  readonly quiet?: boolean | undefined;
}

/** What `pull` did, object by object. */
export interface PullResult {
  readonly imported: readonly {
    readonly key: string;
    readonly records: number;
    readonly manifestSha256: string | null;
  }[];
  readonly skipped: readonly string[];
  readonly failed: readonly { readonly key: string; readonly code: string; readonly message: string }[];
}

/** Reads the object only when the importer pulls on it, verifies the transfer checksums at the end. */
async function* objectBytes(
  transport: Transport,
  key: string,
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
  const download = await transport.download(key, signal ? { signal } : {});
  for await (const chunk of download.stream as unknown as AsyncIterable<Uint8Array>) yield chunk;
  // A transfer checksum mismatch fails the import before it can commit.
  await download.done;
}

/**
 * Lists `prefix` and imports every `.triage` object not imported yet (by
 * bucket, key and version): downloads stream straight into the all-or-nothing
 * import, and an object already in the database is not downloaded at all. A
 * failure is logged in the database and the next object is tried.
 *
 * @throws TriageError `CREDENTIALS_INVALID` without AWS_* credentials; listing errors
 */
export async function pullCollections(flags: PullFlags, deps: Deps): Promise<PullResult> {
  const accessKeyId = deps.env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = deps.env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new TriageError(
      'CREDENTIALS_INVALID',
      'no credentials to read the bucket: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN)',
    );
  }
  const sessionToken = deps.env.AWS_SESSION_TOKEN;
  const transport = createTransport({
    bucket: flags.bucket,
    region: flags.region,
    ...(flags.endpoint ? { endpoint: flags.endpoint } : {}),
    ...(flags.forcePathStyle ? { forcePathStyle: true } : {}),
    ...proxyFromEnv(deps.env, flags.endpoint),
    credentials: async () => ({ accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) }),
  });
  const identity = await readIdentityFile(resolve(deps.cwd, flags.identity));
  const store = openCaseStore(resolve(deps.cwd, flags.db), { now: deps.now });
  const imported: { key: string; records: number; manifestSha256: string | null }[] = [];
  const skipped: string[] = [];
  const failed: { key: string; code: string; message: string }[] = [];
  const progress = new ImportProgress(deps, flags.quiet ?? false);
  try {
    for await (const object of transport.list(flags.prefix, deps.signal ? { signal: deps.signal } : {})) {
      if (!object.key.endsWith('.triage')) continue;
      try {
        const result = await importCollection(store, {
          source: progress.counted(object.key, objectBytes(transport, object.key, deps.signal), object.size),
          custody: {
            kind: 's3',
            bucket: flags.bucket,
            key: object.key,
            ...(object.etag ? { etag: object.etag } : {}),
          },
          identities: [identity],
          ...(flags.verifyKey && flags.verifyKey.length > 0 ? { verifyKeys: flags.verifyKey } : {}),
          examiner: flags.examiner ?? deps.env.USER ?? 'unknown',
          open: (source, options) =>
            openCollection(source, { ...options, ...(deps.signal ? { signal: deps.signal } : {}) }),
        });
        if (result.outcome === 'skipped') skipped.push(object.key);
        else
          imported.push({
            key: object.key,
            records: result.records,
            manifestSha256: result.manifestSha256 ?? null,
          });
      } catch (error) {
        const e = toTriageError(error);
        if (e.code === 'ABORTED') throw e;
        failed.push({ key: object.key, code: e.code, message: e.message });
      }
    }
  } finally {
    store.close();
  }
  return { imported, skipped, failed };
}

import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isTriageError } from '@triage/errors';
import { childEnv } from './paths.js';
import { freePort, type ServerProcess, startServerProcess } from './process.js';
import { type ServerOwner, ServerRegistry } from './registry.js';

/** Names of the S3-compatible servers the test kit runs. */
export type ServerName = 'moto' | 'minio';

/**
 * What a server really enforces, as established (and re-checked on every run)
 * by the conformance suite in `servers.integ.test.ts`. Tests that must prove
 * enforcement pick a server whose capability is true; none is skipped.
 */
export interface ServerCapabilities {
  /** Requests signed with a wrong secret are refused (403 SignatureDoesNotMatch). */
  readonly verifiesSignatures: boolean;
  /** `PutObject` and `CompleteMultipartUpload` with `If-None-Match: *` on an existing key are refused with 412. */
  readonly conditionalWrites: boolean;
  /**
   * SHA-256 checksums are validated on upload (a wrong one is refused) and returned by HEAD with
   * `ChecksumMode: ENABLED` (full-object for single PUTs, `…-N` composite for multipart).
   */
  readonly checksums: boolean;
  /** `UploadPart` into an aborted multipart upload answers 404 `NoSuchUpload` (moto: a 500 from an unhandled KeyError). */
  readonly noSuchUpload: boolean;
  /** STS `AssumeRole` is served on the same endpoint. */
  readonly stsAssumeRole: boolean;
  /** STS `GetSessionToken` is served on the same endpoint. */
  readonly stsGetSessionToken: boolean;
  /** Temporary credentials are refused without, or with a wrong, session token. */
  readonly enforcesSessionToken: boolean;
  /** The IAM API (users, roles, policies, access keys) is served. */
  readonly iam: boolean;
}

/** Static capability table; the conformance suite fails when reality differs. */
export const CAPABILITIES: Readonly<Record<ServerName, ServerCapabilities>> = Object.freeze({
  moto: {
    verifiesSignatures: false,
    conditionalWrites: true,
    checksums: false,
    noSuchUpload: false,
    stsAssumeRole: true,
    stsGetSessionToken: true,
    enforcesSessionToken: false,
    iam: true,
  },
  minio: {
    verifiesSignatures: true,
    conditionalWrites: true,
    checksums: true,
    noSuchUpload: true,
    stsAssumeRole: true,
    stsGetSessionToken: false,
    enforcesSessionToken: true,
    iam: false,
  },
});

/** Everything a test needs to talk to one server. Plain data, so vitest can pass it to workers. */
export interface ServerInfo {
  readonly name: ServerName;
  /** `http://127.0.0.1:PORT`; use path-style addressing (`forcePathStyle: true`). */
  readonly endpoint: string;
  readonly region: string;
  /** The server's root (admin) credentials. Test-only, random per run for MinIO. */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly capabilities: ServerCapabilities;
  readonly pid: number;
  readonly logFile: string;
  /** The server executable, so a test can start its own instance (e.g. to restart it). */
  readonly bin: string;
  /** The process registry folder, for servers a test starts itself (so they are reaped too). */
  readonly registryDir: string;
  /** MinIO only: its data folder, to restart it on the same data. */
  readonly dataDir?: string;
}

/** A started server: its info plus a way to stop it. */
export interface RunningServer {
  readonly info: ServerInfo;
  readonly process: ServerProcess;
}

/** Options for starting one server. */
export interface StartServerOptions {
  /** Absolute path of the executable (from `ensureMoto`/`ensureMinio`). */
  readonly bin: string;
  /** Folder for this run's logs and data. */
  readonly runDir: string;
  readonly registry: ServerRegistry;
  readonly owner: ServerOwner;
  /** PATH and similar for the server; default none. */
  readonly env?: NodeJS.ProcessEnv;
  /** What to tell the user if `bin` cannot be run (e.g. which setting named it). */
  readonly fixHint?: string;
  /** MinIO: listen on this port (default: a free one), e.g. to restart where it was. */
  readonly port?: number;
  /** MinIO: use this data folder (default: a new one in `runDir`). */
  readonly dataDir?: string;
  /** MinIO: these root credentials (default: random). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

const REGION = 'us-east-1';

async function withPortRetry<T>(start: (port: number) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(await freePort());
    } catch (error) {
      // Another process may have taken the free port before the server bound it.
      if (attempt >= 3 || !isTriageError(error, 'TESTKIT_START_FAILED')) throw error;
    }
  }
}

/**
 * Starts moto server on 127.0.0.1 at a free port. moto serves S3, STS and IAM
 * on one endpoint; it runs in its default mode, which does not check
 * signatures (see {@link CAPABILITIES}).
 *
 * @throws TESTKIT_START_FAILED when it does not become healthy
 */
export async function startMoto(options: StartServerOptions): Promise<RunningServer> {
  return withPortRetry(async (port) => {
    const endpoint = `http://127.0.0.1:${port}`;
    const process = await startServerProcess({
      name: 'moto',
      bin: options.bin,
      args: ['-H', '127.0.0.1', '-p', String(port)],
      env: { ...options.env, AWS_DEFAULT_REGION: REGION, PYTHONUNBUFFERED: '1' },
      logFile: join(options.runDir, 'logs', 'moto.log'),
      healthUrl: `${endpoint}/moto-api/`,
      registry: options.registry,
      owner: options.owner,
      ...(options.fixHint ? { fixHint: options.fixHint } : {}),
    });
    return {
      process,
      info: {
        name: 'moto',
        endpoint,
        region: REGION,
        // moto accepts any key; these name themselves as fake.
        credentials: { accessKeyId: 'FAKEMOTOKEYID', secretAccessKey: 'FAKEMOTOSECRET' },
        capabilities: CAPABILITIES.moto,
        pid: process.pid,
        logFile: process.logFile,
        bin: options.bin,
        registryDir: options.registry.dir,
      },
    };
  });
}

/**
 * Starts MinIO on 127.0.0.1 at a free port with a fresh data folder and random
 * root credentials, the browser console and update checks off.
 *
 * @throws TESTKIT_START_FAILED when it does not become healthy
 */
export async function startMinio(options: StartServerOptions): Promise<RunningServer> {
  const start = async (port: number): Promise<RunningServer> => {
    const endpoint = `http://127.0.0.1:${port}`;
    const dataDir = options.dataDir ?? join(options.runDir, `minio-data-${port}`);
    await mkdir(dataDir, { recursive: true });
    const credentials = options.credentials ?? {
      accessKeyId: `triage-root-${randomBytes(4).toString('hex')}`,
      secretAccessKey: randomBytes(24).toString('base64url'),
    };
    const process = await startServerProcess({
      name: 'minio',
      bin: options.bin,
      args: ['server', dataDir, '--address', `127.0.0.1:${port}`, '--quiet'],
      env: {
        ...options.env,
        MINIO_ROOT_USER: credentials.accessKeyId,
        MINIO_ROOT_PASSWORD: credentials.secretAccessKey,
        MINIO_BROWSER: 'off',
        MINIO_UPDATE: 'off',
        MINIO_CI_CD: 'on',
        MINIO_REGION: REGION,
      },
      logFile: join(options.runDir, 'logs', `minio-${port}.log`),
      healthUrl: `${endpoint}/minio/health/ready`,
      registry: options.registry,
      owner: options.owner,
      ...(options.fixHint ? { fixHint: options.fixHint } : {}),
    });
    return {
      process,
      info: {
        name: 'minio',
        endpoint,
        region: REGION,
        credentials,
        capabilities: CAPABILITIES.minio,
        pid: process.pid,
        logFile: process.logFile,
        bin: options.bin,
        registryDir: options.registry.dir,
        dataDir,
      },
    };
  };
  return options.port === undefined ? withPortRetry(start) : start(options.port);
}

/** Overrides for {@link startOwnMinio}. */
export interface OwnMinioOptions {
  /** Folder for its logs (and data, unless `dataDir` is given). */
  readonly runDir: string;
  readonly port?: number;
  readonly dataDir?: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/**
 * Starts a MinIO of a test's own, from the same binary as the shared one and
 * recorded in the same registry (so it is reaped like any other), e.g. to
 * stop and restart it on the same port and data in the middle of an upload.
 */
export function startOwnMinio(shared: ServerInfo, options: OwnMinioOptions): Promise<RunningServer> {
  return startMinio({
    bin: shared.bin,
    runDir: options.runDir,
    registry: new ServerRegistry(shared.registryDir),
    owner: 'vitest',
    env: childEnv(),
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
  });
}

import type { IAMClient } from '@aws-sdk/client-iam';
import type { S3Client } from '@aws-sdk/client-s3';
import type { STSClient } from '@aws-sdk/client-sts';

/** Explicit credentials, for the uploader's own key; absent means the standard AWS chain. */
export interface StaticCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Where the admin's AWS clients point. */
export interface ClientTarget {
  readonly region: string;
  /** One endpoint for S3, IAM and STS (moto, MinIO); absent for AWS. */
  readonly endpoint?: string;
  /** Absent: the standard AWS chain (profiles, environment, SSO). */
  readonly credentials?: StaticCredentials;
}

/** Builds the real SDK clients; tests pass their own factory pointing at local servers. */
export interface AwsFactory {
  s3(target: ClientTarget): S3Client;
  iam(target: ClientTarget): IAMClient;
  sts(target: ClientTarget): STSClient;
}

/** What the CLI needs from the outside world; tests pass their own. */
export interface Deps {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly now: () => Date;
  readonly aws: AwsFactory;
  /**
   * Where a built single-file collector is expected when neither `--collector-exe`
   * nor TRIAGE_COLLECTOR_EXE is given (bin.ts: apps/collector/dist-sea/triage-collect
   * in a checkout); `issue` copies it into the bundle folder only when it exists.
   */
  readonly collectorExe?: string;
  /** Asks for a line on the terminal (the MFA code); absent when not interactive. */
  readonly prompt?: (question: string) => Promise<string>;
}

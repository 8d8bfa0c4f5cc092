import {
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { type AwsOperation, call, callOrAbsent } from './aws-errors.js';

const s3op = (action: string, target: string): AwsOperation => ({ service: 'S3', action, target });

/**
 * Reads the hardening settings setup writes and audit checks, in parallel:
 * Block Public Access, Object Ownership, default encryption, versioning and
 * lifecycle. A setting that was never set is `undefined`.
 *
 * @param owner - `Bucket` and, when known, `ExpectedBucketOwner`
 * @throws TriageError translated from S3 for anything but "not set"
 */
export async function readHardening(s3: S3Client, owner: { Bucket: string; ExpectedBucketOwner?: string }) {
  const bucket = owner.Bucket;
  const [pab, ownership, encryption, versioning, lifecycle] = await Promise.all([
    callOrAbsent(s3op('GetPublicAccessBlock', bucket), ['NoSuchPublicAccessBlockConfiguration'], () =>
      s3.send(new GetPublicAccessBlockCommand(owner)),
    ),
    callOrAbsent(s3op('GetBucketOwnershipControls', bucket), ['OwnershipControlsNotFoundError'], () =>
      s3.send(new GetBucketOwnershipControlsCommand(owner)),
    ),
    callOrAbsent(
      s3op('GetBucketEncryption', bucket),
      ['ServerSideEncryptionConfigurationNotFoundError'],
      () => s3.send(new GetBucketEncryptionCommand(owner)),
    ),
    call(s3op('GetBucketVersioning', bucket), () => s3.send(new GetBucketVersioningCommand(owner))),
    callOrAbsent(s3op('GetBucketLifecycleConfiguration', bucket), ['NoSuchLifecycleConfiguration'], () =>
      s3.send(new GetBucketLifecycleConfigurationCommand(owner)),
    ),
  ]);
  return { pab, ownership, encryption, versioning, lifecycle };
}

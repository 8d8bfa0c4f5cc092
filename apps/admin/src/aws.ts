import { IAMClient } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsFactory, ClientTarget } from './deps.js';

function common(target: ClientTarget) {
  return {
    region: target.region,
    ...(target.endpoint ? { endpoint: target.endpoint } : {}),
    ...(target.credentials ? { credentials: target.credentials } : {}),
  };
}

/** The real SDK clients. Without explicit credentials the SDK uses the standard chain. */
export const realAws: AwsFactory = {
  s3: (target) => new S3Client({ ...common(target), forcePathStyle: target.endpoint !== undefined }),
  iam: (target) => new IAMClient(common(target)),
  sts: (target) => new STSClient(common(target)),
};

/**
 * Bench child: one upload with @aws-sdk/lib-storage Upload, default options
 * (5 MiB parts, queue size 4). Arguments as JSON on stdin.
 */
import { createReadStream } from 'node:fs';
import { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

let input = '';
for await (const chunk of process.stdin) input += chunk;
const args = JSON.parse(input) as {
  endpoint: string;
  bucket: string;
  key: string;
  path: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
};
const client = new S3Client({
  endpoint: args.endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: args.credentials,
});
await new Upload({
  client,
  params: { Bucket: args.bucket, Key: args.key, Body: createReadStream(args.path) },
}).done();
process.stdout.write('{}\n');

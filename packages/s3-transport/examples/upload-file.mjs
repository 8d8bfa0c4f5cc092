// Upload one file, resumably and verified: node upload-file.mjs ./evidence.bin
// Configuration comes from the environment, as an application would pass it in.
import { createTransport, isTriageError } from '@triage/s3-transport';

const file = process.argv[2] ?? './evidence.bin';
const transport = createTransport({
  bucket: process.env.BUCKET ?? 'evidence',
  region: process.env.AWS_REGION ?? 'us-east-1',
  endpoint: process.env.S3_ENDPOINT, // e.g. http://127.0.0.1:9000 for MinIO; unset for AWS
  forcePathStyle: process.env.S3_ENDPOINT !== undefined,
  credentials: async () => ({
    accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? '',
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? '',
    sessionToken: process.env.AWS_SESSION_TOKEN,
  }),
});

const key = `case-42/ws-17/${file.split('/').pop()}`;
const upload = transport.upload(
  key,
  { path: file },
  {
    journal: `${file}.journal`, // after a crash, run the same command again: it resumes
    onProgress: ({ loaded, total }) => console.log(`${loaded} of ${total} bytes`),
  },
);
try {
  const receipt = await upload.done();
  console.log(
    `uploaded ${receipt.key} sha256=${receipt.sourceSha256} verified by ${receipt.verification.method}`,
  );
} catch (error) {
  if (isTriageError(error, 'ALREADY_EXISTS')) console.log(`${key} is already there; nothing was overwritten`);
  else throw error;
}

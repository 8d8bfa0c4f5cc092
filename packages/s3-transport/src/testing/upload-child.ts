/**
 * Test helper run as a separate process (through tsx): uploads a file with a
 * resume journal, so a test can SIGKILL it mid-way and resume. Its arguments,
 * credentials included, arrive as one JSON object on standard input, never in
 * argv.
 */
import { createTransport } from '../transport.js';

interface ChildArgs {
  endpoint: string;
  region: string;
  bucket: string;
  key: string;
  path: string;
  journal: string;
  partSize: number;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

let input = '';
for await (const chunk of process.stdin) input += chunk;
const args = JSON.parse(input) as ChildArgs;
const transport = createTransport({
  bucket: args.bucket,
  endpoint: args.endpoint,
  region: args.region,
  forcePathStyle: true,
  credentials: async () => args.credentials,
});
await transport
  .upload(args.key, { path: args.path }, { partSize: args.partSize, concurrency: 1, journal: args.journal })
  .done();
process.stdout.write('completed\n');

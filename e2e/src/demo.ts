/**
 * `npm run demo`: the whole story on local servers, with headings. Starts
 * moto and MinIO from @triage/testkit (installing them the first time),
 * runs story.ts, prints where the case database and the receipts are, and
 * stops the servers whatever happens.
 *
 *   npm run demo [-- --keep DIR]
 *
 * Everything goes to a new folder under the system temp folder, or DIR.
 */
import { mkdir, mkdtemp, readdir } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { defaultCacheDir, startServices } from '@triage/testkit';
import { hostLabel, type Narrator, runStory, StepFailed } from './story.js';

const bold = (s: string) => (process.stdout.isTTY ? `\u001b[1m${s}\u001b[0m` : s);
const dim = (s: string) => (process.stdout.isTTY ? `\u001b[2m${s}\u001b[0m` : s);

const narrator: Narrator = {
  heading(title) {
    process.stdout.write(`\n${bold(`== ${title}`)}\n`);
  },
  say(line) {
    process.stdout.write(`   ${line}\n`);
  },
  ran(step) {
    process.stdout.write(dim(`   $ ${step.tool} ${step.argv.join(' ')}\n`));
    // Human output is shown as the tool printed it; JSON is summarised by the story instead.
    if (!step.argv.includes('--json') && step.stdout.trim()) {
      for (const line of step.stdout.trimEnd().split('\n')) process.stdout.write(`   ${line}\n`);
    }
  },
};

async function main(): Promise<number> {
  // This process talks to S3 too (story.ts); see the Node 20 note printed below.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const keepAt = process.argv.indexOf('--keep');
  const dir =
    keepAt > 0 && process.argv[keepAt + 1]
      ? resolve(process.argv[keepAt + 1] as string)
      : await mkdtemp(join(tmpdir(), 'triage-demo-'));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if ((await readdir(dir)).length > 0) {
    process.stderr.write(`demo: ${dir} is not empty; give an empty or new folder to --keep\n`);
    return 64;
  }
  narrator.heading('0. Local servers (moto for S3, IAM and STS; MinIO) from @triage/testkit');
  const services = await startServices({
    cacheDir: defaultCacheDir(process.env, homedir()),
    owner: 'cli',
    env: process.env,
    motoBin: process.env.TRIAGE_MOTO_SERVER,
    minioBin: process.env.TRIAGE_MINIO,
    python: process.env.TRIAGE_PYTHON,
    go: process.env.TRIAGE_GO,
    log: (line) => narrator.say(dim(line)),
  });
  const stop = () => services.killNow();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let failed = false;
  try {
    narrator.say(`moto ${services.info.moto.endpoint}, MinIO ${services.info.minio.endpoint}`);
    if (Number(process.versions.node.split('.')[0]) < 22) {
      narrator.say(
        'Node 20: the AWS SDK warns that its releases after January 2027 need Node 22 (docs/adr/0003); the demo silences that warning.',
      );
    }
    const result = await runStory({ server: services.info.moto, dir, narrator, host: hostLabel() });
    narrator.heading('Done');
    narrator.say(`case database   ${result.db}  (open it with any SQLite tool; docs/case-database.md)`);
    narrator.say(`local copy      ${result.collected.file}`);
    narrator.say(`receipt         ${result.collected.receiptFile}`);
    narrator.say(`examiner key    ${result.identityFile}  (0600)`);
    narrator.say(
      `bundle folder   ${result.bundleDir}  (bundle.json is 0600: it held the now revoked credential)`,
    );
    narrator.say(`admin state     ${result.adminState}  (ledger.jsonl: every credential issued and revoked)`);
    return 0;
  } catch (error) {
    failed = true;
    if (error instanceof StepFailed) {
      process.stderr.write(`\ndemo: ${error.message}\n`);
      if (error.step.stderr.trim()) process.stderr.write(`${error.step.stderr.trimEnd()}\n`);
      return 1;
    }
    throw error;
  } finally {
    await services.stop({ keepLogs: failed });
    narrator.say(dim('servers stopped'));
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n`);
    if (process.argv.includes('--debug') && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    process.exitCode = 1;
  },
);

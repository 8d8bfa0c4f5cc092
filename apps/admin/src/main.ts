import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { exitCodeFor, formatCliError, TriageError } from '@triage/errors';
import yargs from 'yargs';
import { audit } from './commands/audit.js';
import { type IssueResult, issue } from './commands/issue.js';
import { formatLedger, listLedger } from './commands/ledger.js';
import { type RevokeOutcome, revoke } from './commands/revoke.js';
import { type SetupOutcome, setup } from './commands/setup.js';
import { trail } from './commands/trail.js';
import type { Deps } from './deps.js';
import { checkClientName, StateStore } from './state.js';

const PROGRAM = 'triage-admin';
const VERSION = '0.1.0';

/** The state folder: --state-dir, else TRIAGE_ADMIN_HOME, else ~/.triage-admin. */
function stateDir(flag: string | undefined, deps: Deps): string {
  if (flag) return resolve(deps.cwd, flag);
  return deps.env.TRIAGE_ADMIN_HOME
    ? resolve(deps.cwd, deps.env.TRIAGE_ADMIN_HOME)
    : join(homedir(), '.triage-admin');
}

function printIssue(result: IssueResult, json: boolean, deps: Deps): void {
  if (json) {
    deps.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  if (result.dryRun) {
    deps.stdout.write(
      `dry run: would mint ${result.mode} credentials for ${result.client}/${result.case}/${result.host}, write-only to s3://${result.scope.bucket}/${result.scope.prefix}, until about ${result.expiresAt}${result.collectorExe ? `; the folder would get the collector ${result.collectorExe}` : ''}\n`,
    );
    return;
  }
  deps.stdout.write(
    [
      `issued ${result.mode} ${result.accessKeyId} for ${result.client}/${result.case}/${result.host}`,
      `  write-only to s3://${result.scope.bucket}/${result.scope.prefix}, expires ${result.expiresAt}`,
      `  bundle folder ${result.bundleDir} (bundle.json is 0600: it holds the credentials)`,
      ...(result.bundleZip ? [`  bundle zip ${result.bundleZip} (0600, the same folder in one file)`] : []),
      result.collectorExe
        ? `  collector ${result.collectorExe}: the operator runs it there with no argument (see README.txt)`
        : '  no collector executable in the folder (give --collector-exe, or build it: npm run build:sea -w @triage/collector)',
      `  ledger entry ${result.ledgerId}`,
      '',
    ].join('\n'),
  );
}

function printSetup(outcome: SetupOutcome, json: boolean, deps: Deps): void {
  const { plan, result } = outcome;
  if (json) {
    deps.stdout.write(
      `${JSON.stringify({
        client: plan.client,
        bucket: plan.bucket,
        accountId: plan.accountId,
        arns: plan.arns,
        dryRun: result.dryRun,
        changed: result.changed,
        summary: result.summary,
        steps: result.steps.map((s) => ({
          id: s.id,
          status: s.status,
          outcome: s.outcome,
          description: s.description,
        })),
        stateFile: outcome.stateFile,
        mfaPng: outcome.mfaPng,
        warnings: outcome.warnings,
      })}\n`,
    );
    return;
  }
  const lines = [`${plan.client}: bucket ${plan.bucket} in ${plan.region}, account ${plan.accountId}`];
  for (const step of result.steps)
    lines.push(`  ${step.outcome.padEnd(9)} ${step.status.padEnd(6)} ${step.description}`);
  lines.push(result.summary);
  if (outcome.stateFile) lines.push(`client state ${outcome.stateFile} (0600: it holds the uploader's key)`);
  if (outcome.mfaPng) lines.push(`MFA QR code ${outcome.mfaPng} (0600): scan it, then delete it`);
  for (const w of outcome.warnings) lines.push(`warning: ${w}`);
  deps.stdout.write(`${lines.join('\n')}\n`);
}

function printRevoke(outcome: RevokeOutcome, json: boolean, deps: Deps): void {
  const { plan, result } = outcome;
  if (json) {
    deps.stdout.write(
      `${JSON.stringify({
        dryRun: result.dryRun,
        entries: plan.entries.map((e) => e.id),
        collateral: plan.collateral.map((e) => e.id),
        attachments: plan.attachments.map((a) => ({
          kind: a.kind,
          arn: a.arn,
          policyName: a.policyName,
          cutoff: a.cutoff,
        })),
        proof: plan.proof,
        steps: result.steps,
      })}\n`,
    );
    return;
  }
  const lines = [
    `${result.dryRun ? 'dry run: would revoke' : 'revoked'} ${plan.entries.length} credential(s)`,
  ];
  for (const a of plan.attachments) {
    lines.push(
      `  deny tokens issued before ${a.cutoff.toISOString()} on ${a.kind} ${a.arn} (${a.policyName})`,
    );
  }
  if (plan.collateral.length > 0) {
    lines.push(
      `  also cuts ${plan.collateral.length} other credential(s): ${plan.collateral.map((e) => e.accessKeyId).join(', ')}`,
    );
  }
  lines.push('  proof (evaluator):');
  for (const row of plan.proof) {
    lines.push(
      `    ${row.subject.padEnd(14)} ${(row.accessKeyId ?? '(new)').padEnd(20)} ${row.action} → ${row.decision}`,
    );
  }
  for (const step of result.steps)
    lines.push(
      `  ${step.outcome}: ${step.action} ${step.name}${step.policyName ? ` ${step.policyName}` : ''}`,
    );
  deps.stdout.write(`${lines.join('\n')}\n`);
}

/**
 * The `triage-admin` command line. Never throws, never exits: returns the
 * exit code (0, or the error code's exit status; see docs/errors.md).
 */
export async function main(argv: readonly string[], deps: Deps): Promise<number> {
  let debug = argv.includes('--debug');
  const store = (dir: string | undefined) => new StateStore(stateDir(dir, deps));
  const cli = yargs([...argv])
    .scriptName(PROGRAM)
    .version(VERSION)
    .strict()
    .exitProcess(false)
    .option('debug', { type: 'boolean', default: false, describe: 'show stack traces and causes on errors' })
    .option('json', { type: 'boolean', default: false, describe: 'print results as JSON' })
    .option('state-dir', {
      type: 'string',
      describe: 'admin state folder (default $TRIAGE_ADMIN_HOME or ~/.triage-admin)',
    })
    .option('endpoint', { type: 'string', describe: 'one endpoint for S3, IAM and STS (local servers)' })
    .fail((message, error) => {
      throw error ?? new TriageError('USAGE', `${message}; see ${PROGRAM} --help`);
    })
    .middleware((args) => {
      debug = Boolean(args.debug);
    })
    .command(
      'setup',
      "harden the client's bucket and create its write-only uploader, MFA device and upload role (idempotent)",
      (y) =>
        y
          .option('client', { type: 'string', demandOption: true })
          .option('region', {
            type: 'string',
            describe: 'the bucket region (default AWS_REGION, else us-east-1)',
          })
          .option('bucket', { type: 'string', describe: 'bucket name (default triage-CLIENT-ACCOUNT)' })
          .option('kms-key', { type: 'string', describe: 'SSE-KMS with this key instead of SSE-S3' })
          .option('examiner-key', {
            type: 'string',
            array: true,
            describe: 'examiner public key bundles seal to',
          })
          .option('mfa-png', {
            type: 'string',
            describe: 'also write the MFA QR code here (0600), to scan and delete',
          })
          .option('dry-run', { type: 'boolean', default: false }),
      async (args) => {
        checkClientName(args.client);
        const outcome = await setup(
          {
            client: args.client,
            region: args.region ?? deps.env.AWS_REGION ?? deps.env.AWS_DEFAULT_REGION ?? 'us-east-1',
            bucket: args.bucket,
            kmsKey: args.kmsKey,
            examinerKey: args.examinerKey,
            mfaPng: args.mfaPng,
            endpoint: args.endpoint,
            dryRun: args.dryRun,
          },
          deps,
          store(args.stateDir),
        );
        printSetup(outcome, args.json, deps);
      },
    )
    .command(
      'audit',
      'check the bucket is not public and the uploader can only upload; exits 65 on any high finding',
      (y) =>
        y.option('client', { type: 'string', demandOption: true }).option('probe-bundle', {
          type: 'string',
          describe: 'live-probe with the credentials of this bundle.json',
        }),
      async (args) => {
        checkClientName(args.client);
        const report = await audit(
          { client: args.client, endpoint: args.endpoint, probeBundle: args.probeBundle },
          deps,
          store(args.stateDir),
        );
        if (args.json) deps.stdout.write(`${JSON.stringify(report)}\n`);
        else {
          const lines = [`audit of ${report.client} (bucket ${report.bucket}):`];
          for (const f of report.findings)
            lines.push(`  ${f.severity.toUpperCase().padEnd(6)} ${f.id}: ${f.message}`);
          lines.push(
            `  ${report.summary.high} high, ${report.summary.medium} medium, ${report.summary.low} low`,
          );
          deps.stdout.write(`${lines.join('\n')}\n`);
        }
        if (report.hasHigh) {
          throw new TriageError(
            'AUDIT_FINDINGS',
            `the audit of ${report.client} found ${report.summary.high} high finding(s); fix them before issuing credentials`,
          );
        }
      },
    )
    .command(
      'issue',
      'mint short-lived write-only credentials for one case and host, and write the collector bundle folder',
      (y) =>
        y
          .option('client', { type: 'string', demandOption: true })
          .option('case', { type: 'string', demandOption: true })
          .option('host', { type: 'string', demandOption: true })
          .option('ttl', {
            type: 'string',
            describe: 'lifetime: 900, 45m, 24h, 1.5d (default 24h for session-token, 12h for assume-role)',
          })
          .option('mode', {
            choices: ['session-token', 'assume-role', 'presigned'] as const,
            default: 'assume-role' as const,
            describe: 'assume-role confines the credentials to CASE/HOST/',
          })
          .option('mfa-code', { type: 'string', describe: 'the 6 digits (asked for when absent)' })
          .option('max-size', {
            type: 'string',
            describe: 'presigned: the largest collection the plan takes (default 1GiB)',
          })
          .option('recipient', {
            type: 'string',
            array: true,
            describe: 'examiner public key (default: from setup)',
          })
          .option('out', {
            type: 'string',
            describe: 'bundle folder (default ./triage-bundle-CLIENT-CASE-HOST)',
          })
          .option('collector-exe', {
            type: 'string',
            describe:
              'copy this single-file collector into the folder (default $TRIAGE_COLLECTOR_EXE, else apps/collector/dist-sea/triage-collect when built)',
          })
          .option('zip', {
            type: 'boolean',
            default: false,
            describe: 'also write the folder as FOLDER.zip (0600), to send as one file',
          })
          .option('dry-run', { type: 'boolean', default: false }),
      async (args) => {
        checkClientName(args.client);
        const result = await issue(
          {
            client: args.client,
            case: args.case,
            host: args.host,
            ttl: args.ttl,
            mode: args.mode,
            mfaCode: args.mfaCode,
            maxSize: args.maxSize,
            out: args.out,
            collectorExe: args.collectorExe,
            zip: args.zip,
            recipient: args.recipient,
            endpoint: args.endpoint,
            dryRun: args.dryRun,
          },
          deps,
          store(args.stateDir),
        );
        printIssue(result, args.json, deps);
      },
    )
    .command(
      'revoke',
      'cut off credentials: a TokenIssueTime deny on the role or user, proved with the evaluator first',
      (y) =>
        y
          .option('client', { type: 'string', demandOption: true })
          .option('case', { type: 'string' })
          .option('key', { type: 'string', describe: 'one access key id (ASIA…)' })
          .option('before', { type: 'string', describe: 'every credential issued before this ISO time' })
          .option('deactivate-keys', {
            type: 'boolean',
            default: false,
            describe: "also deactivate the uploader user's access keys",
          })
          .option('allow-collateral', {
            type: 'boolean',
            default: false,
            describe: 'go ahead even if other live credentials are cut too',
          })
          .option('dry-run', { type: 'boolean', default: false }),
      async (args) => {
        checkClientName(args.client);
        const outcome = await revoke(
          {
            client: args.client,
            case: args.case,
            key: args.key,
            before: args.before,
            deactivateKeys: args.deactivateKeys,
            allowCollateral: args.allowCollateral,
            endpoint: args.endpoint,
            dryRun: args.dryRun,
          },
          deps,
          store(args.stateDir),
        );
        printRevoke(outcome, args.json, deps);
      },
    )
    .command(
      'trail',
      'trace credentials in CloudTrail: lineage, ATT&CK findings, a proven remediation plan; exits 65 on any high finding',
      (y) =>
        y
          .option('from', {
            type: 'string',
            demandOption: true,
            describe: 'a CloudTrail file or folder, or s3://bucket/prefix',
          })
          .option('since', { type: 'string', describe: 'only events at or after this ISO time' })
          .option('until', { type: 'string', describe: 'only events before this ISO time' })
          .option('key', {
            type: 'string',
            describe: 'only the tree holding this access key id, and its plan',
          })
          .option('client', {
            type: 'string',
            describe: "check this client's ledger: collector credential misuse, use after revocation",
          })
          .option('graph', {
            type: 'string',
            describe: 'print only a picture of the lineage: dot or mermaid',
          })
          .option('region', {
            type: 'string',
            describe: 'region of the trail bucket and IAM (default AWS_REGION, else us-east-1)',
          })
          .option('apply', {
            type: 'boolean',
            default: false,
            describe: "apply the --key chain's plan through IAM, after confirmation",
          })
          .option('yes', { type: 'boolean', default: false, describe: 'with --apply: do not ask' }),
      async (args) => {
        if (args.client !== undefined) checkClientName(args.client);
        const outcome = await trail(
          {
            from: args.from,
            since: args.since,
            until: args.until,
            key: args.key,
            client: args.client,
            graph: args.graph,
            json: args.json,
            region: args.region,
            endpoint: args.endpoint,
            apply: args.apply,
            yes: args.yes,
          },
          deps,
          store(args.stateDir),
        );
        if (outcome.high > 0 && !outcome.applied) {
          throw new TriageError(
            'AUDIT_FINDINGS',
            `the trail shows ${outcome.high} high finding(s); review them and the remediation plans`,
          );
        }
      },
    )
    .command(
      'ledger',
      'list every issuance and revocation',
      (y) => y.option('client', { type: 'string' }).option('case', { type: 'string' }),
      async (args) => {
        const entries = await listLedger({ client: args.client, case: args.case }, store(args.stateDir));
        deps.stdout.write(args.json ? `${JSON.stringify(entries)}\n` : formatLedger(entries, deps.now()));
      },
    )
    .demandCommand(1, `give a command; see ${PROGRAM} --help`)
    .help();
  try {
    await cli.parseAsync([...argv], {}, (_error, _args, output) => {
      if (output) deps.stdout.write(`${output}\n`);
    });
    return 0;
  } catch (error) {
    deps.stderr.write(`${formatCliError(error, { program: PROGRAM, debug })}\n`);
    return exitCodeFor(error);
  }
}

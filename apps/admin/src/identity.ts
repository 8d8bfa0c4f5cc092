import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { TriageError } from '@triage/errors';
import type { ClientTarget, Deps } from './deps.js';

/** The admin's AWS identity from the standard chain. */
export interface AdminIdentity {
  readonly account: string;
  readonly arn: string;
  /** A name for ledgers and SourceIdentity: the last segment of the ARN. */
  readonly name: string;
}

const NO_CREDENTIALS = new Set(['CredentialsProviderError', 'ProviderError', 'TokenProviderError']);

/**
 * Who the admin is (STS GetCallerIdentity with the standard chain). Fails
 * first and clearly when no credentials are configured, before any change.
 *
 * @throws TriageError `CREDENTIALS_INVALID` when no credentials are found or they are rejected; `NETWORK_ERROR`
 */
export async function adminIdentity(deps: Deps, target: ClientTarget): Promise<AdminIdentity> {
  try {
    const out = await deps.aws.sts(target).send(new GetCallerIdentityCommand({}));
    const arn = out.Arn ?? '';
    const name = (arn.split('/').pop() ?? 'admin').replace(/[^\w+=,.@-]/g, '_').slice(0, 64) || 'admin';
    return { account: out.Account ?? '', arn, name: name.length >= 2 ? name : `${name}_` };
  } catch (cause) {
    const name = (cause as { name?: string }).name ?? '';
    if (NO_CREDENTIALS.has(name)) {
      throw new TriageError(
        'CREDENTIALS_INVALID',
        'no AWS credentials found for the admin: configure a profile (AWS_PROFILE) or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
        { cause },
      );
    }
    if (['InvalidClientTokenId', 'SignatureDoesNotMatch', 'ExpiredToken', 'AccessDenied'].includes(name)) {
      throw new TriageError(
        'CREDENTIALS_INVALID',
        `AWS rejected the admin credentials (${name}); check the profile`,
        {
          cause,
        },
      );
    }
    throw new TriageError(
      'NETWORK_ERROR',
      `cannot reach AWS STS to identify the admin (${name || 'error'}); check the network and --endpoint`,
      {
        cause,
        retryable: true,
      },
    );
  }
}

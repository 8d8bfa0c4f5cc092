import { describe, expect, it } from 'vitest';
import { CAPABILITIES } from './servers.js';

describe('CAPABILITIES', () => {
  // MinIO is the server that proves enforcement in later suites. If it ever
  // stopped checking signatures, conditional writes or session tokens, the
  // fix is another server (docs/adr), never a change to this table.
  it('keeps MinIO as the enforcing server', () => {
    expect(CAPABILITIES.minio).toMatchObject({
      verifiesSignatures: true,
      conditionalWrites: true,
      checksums: true,
      enforcesSessionToken: true,
      stsAssumeRole: true,
    });
  });

  it('keeps moto as the server for the STS and IAM APIs', () => {
    expect(CAPABILITIES.moto).toMatchObject({ stsAssumeRole: true, stsGetSessionToken: true, iam: true });
  });
});

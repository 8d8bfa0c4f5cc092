import { isTriageError } from '@triage/errors';
import { describe, expect, it } from 'vitest';
import { bundleSecrets, formatBundle, parseBundle, parseBundleText } from './index.js';

const NOW = new Date('2026-11-23T12:00:00Z');
const SECRET = 'FAKEsecretKEYcanary0000000000000000000000';
const TOKEN = 'FAKEsessionTOKENcanary1111111111111111';
const SIGNING = 'TRIAGE-SIGNING-KEY-1FAKECANARY0000000000000000000000000000000000000000000';
const RECIPIENT = 'triage1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq';

const valid = () => ({
  format: 'triage-bundle',
  format_version: 1,
  client: 'acme',
  case: 'IR-2026-042',
  host: 'web-1',
  issued_at: '2026-11-23T11:00:00Z',
  expires_at: '2026-11-23T23:00:00Z',
  s3: {
    bucket: 'acme-evidence',
    prefix: 'IR-2026-042/web-1/',
    region: 'eu-west-1',
    endpoint: 'http://127.0.0.1:9000',
    force_path_style: true,
  },
  credentials: {
    access_key_id: 'ASIAFAKEEXAMPLE00001',
    secret_access_key: SECRET,
    session_token: TOKEN,
    expiration: '2026-11-23T23:00:00Z',
  },
  recipients: [RECIPIENT],
  signing_key: SIGNING,
});

function errorOf(fn: () => unknown): { code: string; message: string; context: Record<string, unknown> } {
  try {
    fn();
  } catch (error) {
    if (isTriageError(error)) return error as never;
    throw error;
  }
  throw new Error('expected an error');
}

type Mutation = (b: ReturnType<typeof valid>) => void;

describe('bundle', () => {
  it('parses a valid bundle and formats it back to the same JSON', () => {
    const bundle = parseBundle(valid(), NOW);
    expect(bundle.s3).toEqual({
      bucket: 'acme-evidence',
      prefix: 'IR-2026-042/web-1/',
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:9000',
      forcePathStyle: true,
    });
    expect(bundle.credentials?.expiration).toEqual(new Date('2026-11-23T23:00:00Z'));
    expect(JSON.parse(formatBundle(bundle))).toEqual({
      ...valid(),
      issued_at: '2026-11-23T11:00:00.000Z',
      expires_at: '2026-11-23T23:00:00.000Z',
      credentials: { ...valid().credentials, expiration: '2026-11-23T23:00:00.000Z' },
    });
    expect(parseBundleText(formatBundle(bundle), NOW)).toEqual(bundle);
  });

  it('lists its secrets for scrubbing', () => {
    expect(bundleSecrets(parseBundle(valid(), NOW)).sort()).toEqual([SECRET, TOKEN, SIGNING].sort());
  });

  it.each<[string, Mutation]>([
    ['format', (b) => Object.assign(b, { format: 'zip' })],
    ['format_version', (b) => Object.assign(b, { format_version: 2 })],
    ['client', (b) => Object.assign(b, { client: '../etc' })],
    ['case', (b) => Object.assign(b, { case: undefined })],
    ['host', (b) => Object.assign(b, { host: 'web 1' })],
    ['s3.bucket', (b) => Object.assign(b.s3, { bucket: 'Acme_Evidence' })],
    ['s3.prefix', (b) => Object.assign(b.s3, { prefix: 'IR-2026-042/web-1' })],
    ['s3.prefix', (b) => Object.assign(b.s3, { prefix: '/abs/' })],
    ['s3.region', (b) => Object.assign(b.s3, { region: 'europe' })],
    ['s3.endpoint', (b) => Object.assign(b.s3, { endpoint: 'ftp://x' })],
    ['s3.force_path_style', (b) => Object.assign(b.s3, { force_path_style: 'yes' })],
    ['s3.ca_bundle', (b) => Object.assign(b.s3, { ca_bundle: 'not pem' })],
    ['s3.bucket_name', (b) => Object.assign(b.s3, { bucket_name: 'x' })],
    ['credentials', (b) => Object.assign(b, { credentials: 'x' })],
    ['credentials.access_key_id', (b) => Object.assign(b.credentials, { access_key_id: 'akia lower' })],
    ['credentials.secret_access_key', (b) => Object.assign(b.credentials, { secret_access_key: '' })],
    ['credentials.secret_acces_key', (b) => Object.assign(b.credentials, { secret_acces_key: SECRET })],
    ['credentials.session_token', (b) => Object.assign(b.credentials, { session_token: 42 })],
    ['credentials.expiration', (b) => Object.assign(b.credentials, { expiration: 'tomorrow' })],
    ['recipients', (b) => Object.assign(b, { recipients: [] })],
    ['recipients[1]', (b) => Object.assign(b, { recipients: [RECIPIENT, SECRET] })],
    ['signing_key', (b) => Object.assign(b, { signing_key: 'TRIAGE-SECRET-KEY-1X' })],
    ['issued_at', (b) => Object.assign(b, { issued_at: '2026-11-23 11:00' })],
    ['expires_at', (b) => Object.assign(b, { expires_at: '2026-11-23T10:00:00Z' })],
  ])('rejects a wrong %s with CONFIG_INVALID naming the field and no value', (field, mutate) => {
    const bundle = valid();
    mutate(bundle);
    const error = errorOf(() => parseBundle(bundle, NOW));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.context.field).toBe(field);
    expect(error.message).toMatch(new RegExp(`^bundle field ${field.replace(/[[\]]/g, '\\$&')} `));
    expect(error.message).not.toContain(SECRET);
    expect(error.message).not.toContain('FAKE');
  });

  it('rejects non-JSON without echoing it', () => {
    const error = errorOf(() => parseBundleText(`{"secret_access_key":"${SECRET}"`, NOW));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).not.toContain(SECRET);
  });

  it('refuses an expired bundle or expired credentials', () => {
    expect(errorOf(() => parseBundle(valid(), new Date('2026-11-24T00:00:00Z'))).code).toBe(
      'CREDENTIALS_EXPIRING',
    );
    const bundle = valid();
    bundle.credentials.expiration = '2026-11-23T11:30:00Z';
    const error = errorOf(() => parseBundle(bundle, NOW));
    expect(error.code).toBe('CREDENTIALS_EXPIRING');
    expect(error.message).toContain('2026-11-23T11:30:00.000Z');
  });

  it('accepts a bundle without optional fields', () => {
    const bundle = valid() as Record<string, unknown>;
    delete bundle.host;
    delete bundle.signing_key;
    bundle.s3 = { bucket: 'acme-evidence', prefix: 'IR-1/', region: 'us-east-1' };
    bundle.credentials = { access_key_id: 'AKIAFAKEEXAMPLE00002', secret_access_key: SECRET };
    const parsed = parseBundle(bundle, NOW);
    expect(parsed.host).toBeUndefined();
    expect(bundleSecrets(parsed)).toEqual([SECRET]);
  });
});

const SIG = 'c0ffee00deadbeef1234567890abcdef0123456789abcdef0123456789abcdef';
const STS_TOKEN = 'FQoGZXIvYXdzEFAKE/plan+token==';
const MiB = 1024 * 1024;
const planUrl = (path: string, extra = '') =>
  `http://127.0.0.1:9000/acme-evidence/IR-2026-042/web-1/web-1-20261123T110000Z-0a1b2c3d.triage${path}${path ? '&' : '?'}X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Security-Token=${encodeURIComponent(STS_TOKEN)}&X-Amz-Signature=${SIG}${extra}`;
const request = (method: string, path: string, headers: Record<string, string> = {}) => ({
  method,
  url: planUrl(path, `-${method}`),
  headers,
});
const planBundle = () => {
  const { credentials: _omitted, ...rest } = valid();
  return {
    ...rest,
    upload_plan: {
      version: 1,
      bucket: 'acme-evidence',
      key: 'IR-2026-042/web-1/web-1-20261123T110000Z-0a1b2c3d.triage',
      maxSize: 20 * MiB,
      expiresAt: '2026-11-24T00:00:00.000Z',
      kind: 'multipart',
      partSize: 8 * MiB,
      uploadId: 'upload-id-1',
      parts: [1, 2, 3].map((n) => request('PUT', `?partNumber=${n}&uploadId=upload-id-1`)),
      complete: request('POST', '?uploadId=upload-id-1', { 'if-none-match': '*' }),
      abort: request('DELETE', '?uploadId=upload-id-1'),
      head: request('HEAD', '', { 'x-amz-checksum-mode': 'ENABLED' }),
    },
  };
};
type PlanMutation = (b: ReturnType<typeof planBundle>) => void;

describe('bundle with a presigned upload plan', () => {
  it('parses, keeps the plan as presignUpload made it, and formats back to the same JSON', () => {
    const bundle = parseBundle(planBundle(), NOW);
    expect(bundle.credentials).toBeUndefined();
    expect(bundle.uploadPlan).toEqual(planBundle().upload_plan);
    expect(JSON.parse(formatBundle(bundle))).toEqual({
      ...planBundle(),
      issued_at: '2026-11-23T11:00:00.000Z',
      expires_at: '2026-11-23T23:00:00.000Z',
    });
    expect(parseBundleText(formatBundle(bundle), NOW)).toEqual(bundle);
  });

  it('treats every plan URL, signature and security token as secret', () => {
    const bundle = parseBundle(planBundle(), NOW);
    const secrets = bundleSecrets(bundle);
    const plan = planBundle().upload_plan;
    for (const r of [...plan.parts, plan.complete, plan.abort, plan.head]) expect(secrets).toContain(r.url);
    expect(secrets).toContain(SIGNING);
    expect(secrets).toContain(STS_TOKEN);
    expect(secrets).toContain(encodeURIComponent(STS_TOKEN));
    expect(secrets.some((s) => s.startsWith(SIG))).toBe(true);
  });

  it.each<[string, PlanMutation]>([
    ['upload_plan', (b) => Object.assign(b, { credentials: valid().credentials })],
    ['credentials', (b) => Object.assign(b, { upload_plan: undefined })],
    ['upload_plan', (b) => Object.assign(b, { upload_plan: 'x' })],
    ['upload_plan.size', (b) => Object.assign(b.upload_plan, { size: 10 })],
    ['upload_plan.version', (b) => Object.assign(b.upload_plan, { version: 2 })],
    ['upload_plan.kind', (b) => Object.assign(b.upload_plan, { kind: 'single' })],
    ['upload_plan.bucket', (b) => Object.assign(b.upload_plan, { bucket: 'other-bucket' })],
    ['upload_plan.key', (b) => Object.assign(b.upload_plan, { key: 'IR-2026-042/web-2/x.triage' })],
    ['upload_plan.key', (b) => Object.assign(b.upload_plan, { key: 'IR-2026-042/web-1/' })],
    ['upload_plan.maxSize', (b) => Object.assign(b.upload_plan, { maxSize: 0 })],
    ['upload_plan.partSize', (b) => Object.assign(b.upload_plan, { partSize: 1024 })],
    ['upload_plan.expiresAt', (b) => Object.assign(b.upload_plan, { expiresAt: 'soon' })],
    ['upload_plan.uploadId', (b) => Object.assign(b.upload_plan, { uploadId: '' })],
    ['upload_plan.parts', (b) => Object.assign(b.upload_plan, { parts: b.upload_plan.parts.slice(1) })],
    [
      'upload_plan.parts[1].url',
      (b) => Object.assign(b.upload_plan.parts[1] ?? {}, { url: `ftp://x?X-Amz-Signature=${SIG}` }),
    ],
    ['upload_plan.parts[2].method', (b) => Object.assign(b.upload_plan.parts[2] ?? {}, { method: 'GET' })],
    ['upload_plan.complete.headers', (b) => Object.assign(b.upload_plan.complete, { headers: { a: 1 } })],
    ['upload_plan.head.method', (b) => Object.assign(b.upload_plan.head, { method: 'GET' })],
    ['upload_plan.abort', (b) => Object.assign(b.upload_plan, { abort: undefined })],
    ['expires_at', (b) => Object.assign(b.upload_plan, { expiresAt: '2026-11-23T22:00:00Z' })],
  ])('rejects a wrong %s with CONFIG_INVALID naming the field and no URL', (field, mutate) => {
    const bundle = planBundle();
    mutate(bundle);
    const error = errorOf(() => parseBundle(bundle, NOW));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.context.field).toBe(field);
    expect(error.message).toMatch(new RegExp(`^bundle field ${field.replace(/[[\].]/g, '\\$&')} `));
    expect(error.message).not.toContain(SIG);
    expect(error.message).not.toContain('://');
  });

  it('refuses a plan that has expired', () => {
    const bundle = planBundle();
    bundle.expires_at = '2026-11-23T11:30:00Z';
    bundle.upload_plan.expiresAt = '2026-11-23T11:40:00.000Z';
    const error = errorOf(() => parseBundle(bundle, new Date('2026-11-23T11:35:00Z')));
    expect(error.code).toBe('CREDENTIALS_EXPIRING');
    expect(errorOf(() => parseBundle(bundle, new Date('2026-11-23T11:45:00Z'))).message).toContain(
      '2026-11-23T11:30:00.000Z',
    );
  });
});

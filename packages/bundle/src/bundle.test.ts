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
    expect(bundle.credentials.expiration).toEqual(new Date('2026-11-23T23:00:00Z'));
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

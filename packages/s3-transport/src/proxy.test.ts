import { describe, expect, it } from 'vitest';
import { bypassesProxy, proxyFromEnv } from './proxy.js';

describe('proxyFromEnv', () => {
  it('picks HTTPS_PROXY for https endpoints and HTTP_PROXY for http ones, either case', () => {
    const env = {
      HTTPS_PROXY: 'http://secure:3128',
      http_proxy: 'http://plain:3128',
      NO_PROXY: ' localhost, .internal ,,',
    };
    expect(proxyFromEnv(env)).toEqual({ proxy: 'http://secure:3128', noProxy: ['localhost', '.internal'] });
    expect(proxyFromEnv(env, 'http://127.0.0.1:9000')).toEqual({
      proxy: 'http://plain:3128',
      noProxy: ['localhost', '.internal'],
    });
    expect(proxyFromEnv({ https_proxy: 'http://p:1' }, 'https://s3.eu-west-1.amazonaws.com')).toEqual({
      proxy: 'http://p:1',
    });
    expect(proxyFromEnv({})).toEqual({});
  });
});

describe('bypassesProxy', () => {
  const url = (text: string) => new URL(text);
  it.each([
    ['https://s3.amazonaws.com', ['*'], true],
    ['https://s3.amazonaws.com', ['amazonaws.com'], true],
    ['https://s3.amazonaws.com', ['.amazonaws.com'], true],
    ['https://s3.amazonaws.com', ['*.amazonaws.com'], true],
    ['https://notamazonaws.com', ['amazonaws.com'], false],
    ['http://127.0.0.1:9000', ['127.0.0.1'], true],
    ['http://127.0.0.1:9000', ['127.0.0.1:9000'], true],
    ['http://127.0.0.1:9000', ['127.0.0.1:9001'], false],
    ['https://minio.lab:443', ['minio.lab:443'], true],
    ['http://[::1]:9000', ['::1'], true],
    ['https://s3.amazonaws.com', [], false],
  ] as const)('%s with NO_PROXY %j → %s', (target, list, expected) => {
    expect(bypassesProxy(url(target), list)).toBe(expected);
  });
});

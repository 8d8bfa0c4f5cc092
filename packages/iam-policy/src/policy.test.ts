import { describe, expect, it } from 'vitest';
import { cidrContains } from './conditions.js';
import { substitute } from './match.js';
import { parsePolicy } from './policy.js';

function pathOf(document: unknown): string | undefined {
  try {
    parsePolicy(document);
  } catch (error) {
    return (error as { context?: { path?: string } }).context?.path;
  }
  return undefined;
}

describe('parsePolicy', () => {
  it('normalises single values into lists', () => {
    const policy = parsePolicy(
      '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:PutObject","Resource":"*"}}',
    );
    expect(policy.statements[0]).toMatchObject({
      effect: 'Allow',
      action: ['s3:PutObject'],
      resource: ['*'],
      origin: 'policy#0',
    });
  });

  it.each([
    ['not JSON', '{', '$'],
    ['an array', [], '$'],
    ['unknown top-level element', { Version: '2012-10-17', Statement: [], Extra: 1 }, '$.Extra'],
    ['bad version', { Version: '2020-01-01', Statement: [] }, '$.Version'],
    ['no statement', { Version: '2012-10-17' }, '$.Statement'],
    [
      'bad effect',
      { Version: '2012-10-17', Statement: [{ Effect: 'allow', Action: '*' }] },
      '$.Statement[0].Effect',
    ],
    [
      'Action and NotAction',
      { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', NotAction: '*' }] },
      '$.Statement[0].NotAction',
    ],
    [
      'no action',
      { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Resource: '*' }] },
      '$.Statement[0]',
    ],
    [
      'empty action list',
      { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: [] }] },
      '$.Statement[0].Action',
    ],
    [
      'misspelt operator',
      {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: '*', Condition: { BookIfExists: { k: 'v' } } }],
      },
      '$.Statement[0].Condition.BookIfExists',
    ],
    [
      'unknown principal type',
      { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Principal: { User: 'x' } }] },
      '$.Statement[0].Principal.User',
    ],
    [
      'unknown statement element',
      { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Actions: 'x' }] },
      '$.Statement[0].Actions',
    ],
  ])('points at the JSON path for %s', (_label, document, path) => {
    expect(pathOf(document)).toBe(path);
  });
});

describe('helpers', () => {
  it.each([
    ['10.0.0.0/8', '10.255.1.1', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['0.0.0.0/0', '8.8.8.8', true],
    ['203.0.113.7', '203.0.113.7', true],
    ['2001:db8::/32', '2001:0db8:ffff::1', true],
    ['::ffff:0:0/96', '::ffff:203.0.113.1', true],
    ['2001:db8::/32', '10.0.0.1', false],
    ['10.0.0.0/33', '10.0.0.1', false],
    ['not-an-ip/8', '10.0.0.1', false],
  ])('cidrContains(%s, %s) = %s', (cidr, ip, expected) => {
    expect(cidrContains(cidr, ip)).toBe(expected);
  });

  it('substitutes variables, defaults and escapes', () => {
    expect(substitute('home/${aws:username}/', { 'aws:username': 'alice' }, '2012-10-17')).toBe(
      'home/alice/',
    );
    expect(substitute("home/${aws:username, 'nobody'}/", {}, '2012-10-17')).toBe('home/nobody/');
    expect(substitute('home/${aws:username}/', {}, '2012-10-17')).toBeUndefined();
    expect(substitute('price ${$}5', {}, '2012-10-17')).toBe('price $5');
    expect(substitute('home/${aws:username}/', {}, '2008-10-17')).toBe('home/${aws:username}/');
  });
});

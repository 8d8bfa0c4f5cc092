import { TriageError } from '@triage/errors';
import { describe, expect, it } from 'vitest';
import { toCollectorError } from './errors.js';

const errno = (code: string, message = `${code}: boom, /host/tmp/x`) =>
  Object.assign(new Error(message), { code });

describe('toCollectorError', () => {
  it('keeps the code and message of a TriageError', () => {
    expect(toCollectorError('accounts', '/etc/shadow', new TriageError('DATA_INVALID', 'bad line'))).toEqual({
      collector: 'accounts',
      path: '/etc/shadow',
      code: 'DATA_INVALID',
      message: 'bad line',
    });
  });

  it('names file system errors by code and the collected path, never the message (it holds host paths)', () => {
    expect(toCollectorError('accounts', '/etc/shadow', errno('EACCES'))).toEqual({
      collector: 'accounts',
      path: '/etc/shadow',
      code: 'PERMISSION_DENIED',
      message: 'permission denied: /etc/shadow',
    });
    expect(toCollectorError('x', 'C:\\a', errno('EPERM')).code).toBe('PERMISSION_DENIED');
    expect(toCollectorError('x', undefined, errno('ENOENT'))).toEqual({
      collector: 'x',
      code: 'NOT_FOUND',
      message: 'not found',
    });
    expect(toCollectorError('x', '/a', errno('ENOTDIR')).code).toBe('NOT_FOUND');
    expect(toCollectorError('x', '/a', errno('ELOOP'))).toMatchObject({
      code: 'DATA_INVALID',
      message: 'ELOOP: /a',
    });
    expect(toCollectorError('x', '/a', errno('EIO'))).toMatchObject({ code: 'IO_ERROR', message: 'EIO: /a' });
  });

  it('turns anything else into INTERNAL with the first line of its message', () => {
    expect(toCollectorError('x', undefined, new Error('first\nsecond'))).toEqual({
      collector: 'x',
      code: 'INTERNAL',
      message: 'first',
    });
    expect(toCollectorError('x', undefined, 'a string')).toMatchObject({
      code: 'INTERNAL',
      message: 'a string',
    });
    expect(toCollectorError('x', undefined, null)).toMatchObject({ code: 'INTERNAL', message: 'null' });
  });
});

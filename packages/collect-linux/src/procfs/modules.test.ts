import { describe, expect, it } from 'vitest';
import { parseProcModulesLine } from './modules.js';

describe('parseProcModulesLine', () => {
  it('reads an unused module', () => {
    expect(parseProcModulesLine('nf_tables 331776 0 - Live 0xffffffffc0a00000')).toEqual({
      name: 'nf_tables',
      size: 331776,
      refcount: 0,
      usedBy: [],
      state: 'Live',
      taint: null,
    });
  });

  it('reads users and taint flags', () => {
    expect(
      parseProcModulesLine('vboxdrv 495616 2 vboxnetadp,vboxnetflt, Live 0x0000000000000000 (OE)'),
    ).toEqual({
      name: 'vboxdrv',
      size: 495616,
      refcount: 2,
      usedBy: ['vboxnetadp', 'vboxnetflt'],
      state: 'Live',
      taint: '(OE)',
    });
  });

  it('reads a refcount of - and the Loading state', () => {
    expect(parseProcModulesLine('x 4096 - - Loading 0x0')).toMatchObject({
      refcount: null,
      state: 'Loading',
    });
  });

  it('rejects malformed lines', () => {
    expect(parseProcModulesLine('')).toBeNull();
    expect(parseProcModulesLine('name notanumber 0 - Live 0x0')).toBeNull();
    expect(parseProcModulesLine('name 10 x - Live 0x0')).toBeNull();
  });
});

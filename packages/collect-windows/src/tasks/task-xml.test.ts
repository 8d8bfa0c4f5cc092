import { isTriageError } from '@triage/errors';
import { describe, expect, it } from 'vitest';
import { readSample } from '../testing/sample-files.js';
import { parseTaskXml, type TaskXml } from './task-xml.js';

/** UTF-16LE with a BOM, as Task Scheduler writes task files. */
const utf16 = (text: string) => Buffer.from(`\uFEFF${text}`, 'utf16le');
const utf8 = (text: string) => Buffer.from(text, 'utf8');
const messages = (t: TaskXml) => t.diagnostics.map((d) => `${d.structure}: ${d.message}`);

const NS = 'http://schemas.microsoft.com/windows/2004/02/mit/task';

const FULL = `<?xml version="1.0" encoding="UTF-16"?>
<!-- exported by schtasks -->
<Task version="1.4" xmlns="${NS}">
  <RegistrationInfo>
    <Date>2024-02-05T06:17:40.1138237</Date>
    <Author>CORP\\admin</Author>
    <Description>Updater &amp; helper</Description>
    <URI>\\Updater</URI>
    <Source>Contoso</Source>
    <Version>2.0</Version>
  </RegistrationInfo>
  <Triggers>
    <BootTrigger id="boot"><Delay>PT1M</Delay></BootTrigger>
    <LogonTrigger><Enabled>false</Enabled><UserId>CORP\\bob</UserId></LogonTrigger>
    <TimeTrigger>
      <StartBoundary>2024-02-05T06:30:00</StartBoundary>
      <EndBoundary>2025-01-01T00:00:00</EndBoundary>
      <RandomDelay>PT10M</RandomDelay>
      <Repetition><Interval>PT30M</Interval><Duration>P1D</Duration><StopAtDurationEnd>true</StopAtDurationEnd></Repetition>
    </TimeTrigger>
    <CalendarTrigger>
      <StartBoundary>2022-11-02T14:31:07</StartBoundary>
      <ScheduleByWeek><DaysOfWeek><Monday /><Friday /></DaysOfWeek><WeeksInterval>2</WeeksInterval></ScheduleByWeek>
    </CalendarTrigger>
    <EventTrigger>
      <Subscription>&lt;QueryList&gt;&lt;Query Id="0"&gt;&lt;Select Path="Security"&gt;*[System[EventID=4625]]&lt;/Select&gt;&lt;/Query&gt;&lt;/QueryList&gt;</Subscription>
    </EventTrigger>
    <RegistrationTrigger><Delay>PT30S</Delay></RegistrationTrigger>
    <IdleTrigger />
    <SessionStateChangeTrigger><StateChange>RemoteConnect</StateChange><UserId>S-1-5-21-1</UserId></SessionStateChangeTrigger>
    <WnfStateChangeTrigger><StateName>7508BCA3380C960C</StateName></WnfStateChangeTrigger>
  </Triggers>
  <Principals>
    <Principal id="Author"><UserId>S-1-5-21-1-1001</UserId><LogonType>InteractiveToken</LogonType></Principal>
    <Principal id="LocalSystem"><UserId>S-1-5-18</UserId><RunLevel>HighestAvailable</RunLevel></Principal>
  </Principals>
  <Settings>
    <Enabled>true</Enabled>
    <Hidden>true</Hidden>
    <ExecutionTimeLimit>PT0S</ExecutionTimeLimit>
    <IdleSettings><StopOnIdleEnd>true</StopOnIdleEnd></IdleSettings>
  </Settings>
  <Actions Context="LocalSystem">
    <Exec id="run">
      <Command>C:\\ProgramData\\upd.exe</Command>
      <Arguments>-k "a &amp; b" &#x41;&#66;</Arguments>
      <WorkingDirectory>C:\\ProgramData</WorkingDirectory>
    </Exec>
    <ComHandler>
      <ClassId>{A6BA00FE-40E8-477C-B713-C64A14F18ADB}</ClassId>
      <Data><![CDATA[<payload x="1"/>]]></Data>
    </ComHandler>
    <SendEmail><Server>smtp.corp</Server><From>a@corp</From><To>b@corp</To><Subject>hi</Subject><Body>body</Body></SendEmail>
    <ShowMessage><Title>Title</Title><Body>Message</Body></ShowMessage>
  </Actions>
</Task>
`;

describe('parseTaskXml: the Task Scheduler schema', () => {
  it('reads registration info, every trigger kind, the principal named by the actions, settings and actions', () => {
    const task = parseTaskXml(utf16(FULL));
    expect(task).toMatchObject({
      version: '1.4',
      uri: '\\Updater',
      author: 'CORP\\admin',
      date: '2024-02-05T06:17:40.1138237',
      description: 'Updater & helper',
      source: 'Contoso',
      taskVersion: '2.0',
      enabled: true,
      hidden: true,
      actionsContext: 'LocalSystem',
      encoding: 'utf-16le',
    });
    expect(task.principal).toEqual({
      id: 'LocalSystem',
      userId: 'S-1-5-18',
      groupId: null,
      logonType: null,
      runLevel: 'HighestAvailable',
      displayName: null,
    });
    expect(task.principals.map((p) => p.id)).toEqual(['Author', 'LocalSystem']);
    expect(task.settings).toEqual({ Enabled: 'true', Hidden: 'true', ExecutionTimeLimit: 'PT0S' });
    expect(task.triggers.map((t) => [t.type, t.element])).toEqual([
      ['boot', 'BootTrigger'],
      ['logon', 'LogonTrigger'],
      ['time', 'TimeTrigger'],
      ['calendar', 'CalendarTrigger'],
      ['event', 'EventTrigger'],
      ['registration', 'RegistrationTrigger'],
      ['idle', 'IdleTrigger'],
      ['sessionStateChange', 'SessionStateChangeTrigger'],
      ['other', 'WnfStateChangeTrigger'],
    ]);
    const [boot, logon, time, calendar, event, , , session] = task.triggers;
    expect(boot).toMatchObject({ id: 'boot', enabled: true, delay: 'PT1M' });
    expect(logon).toMatchObject({ enabled: false, userId: 'CORP\\bob' });
    expect(time).toMatchObject({
      startBoundary: '2024-02-05T06:30:00',
      endBoundary: '2025-01-01T00:00:00',
      delay: 'PT10M',
      repetition: { interval: 'PT30M', duration: 'P1D', stopAtDurationEnd: true },
    });
    expect(calendar?.schedule).toBe('ScheduleByWeek DaysOfWeek=Monday,Friday WeeksInterval=2');
    expect(event?.subscription).toBe(
      '<QueryList><Query Id="0"><Select Path="Security">*[System[EventID=4625]]</Select></Query></QueryList>',
    );
    expect(session).toMatchObject({ stateChange: 'RemoteConnect', userId: 'S-1-5-21-1' });
    expect(task.actions).toEqual([
      {
        type: 'exec',
        id: 'run',
        command: 'C:\\ProgramData\\upd.exe',
        arguments: '-k "a & b" AB',
        workingDirectory: 'C:\\ProgramData',
      },
      {
        type: 'comHandler',
        id: null,
        classId: '{A6BA00FE-40E8-477C-B713-C64A14F18ADB}',
        data: '<payload x="1"/>',
      },
      {
        type: 'sendEmail',
        id: null,
        server: 'smtp.corp',
        from: 'a@corp',
        to: 'b@corp',
        subject: 'hi',
        body: 'body',
      },
      { type: 'showMessage', id: null, title: 'Title', body: 'Message' },
    ]);
    expect(task.diagnostics).toEqual([]);
  });

  it('applies the schema defaults: enabled, not hidden, the first principal', () => {
    const task = parseTaskXml(
      utf16(`<Task xmlns="${NS}"><Principals><Principal><GroupId>S-1-5-32-545</GroupId></Principal></Principals>
        <Actions><Exec><Command>a.exe</Command></Exec></Actions></Task>`),
    );
    expect(task).toMatchObject({ enabled: true, hidden: false, version: null, uri: null, triggers: [] });
    expect(task.principal?.groupId).toBe('S-1-5-32-545');
    expect(task.actions).toEqual([
      { type: 'exec', id: null, command: 'a.exe', arguments: null, workingDirectory: null },
    ]);
  });

  it('matches elements by local name under a namespace prefix', () => {
    const task = parseTaskXml(
      `<t:Task xmlns:t="${NS}"><t:Actions><t:Exec><t:Command>x.exe</t:Command></t:Exec></t:Actions></t:Task>`,
    );
    expect(task.actions[0]).toMatchObject({ type: 'exec', command: 'x.exe' });
    expect(task.encoding).toBe('text');
    expect(task.diagnostics).toEqual([]);
  });
});

describe('parseTaskXml: encodings', () => {
  const body = `<Task xmlns="${NS}"><RegistrationInfo><Author>Zoë</Author></RegistrationInfo><Actions><Exec><Command>é.exe</Command></Exec></Actions></Task>`;

  it('reads UTF-8 under a declaration that says UTF-16 (a known quirk), with a note', () => {
    const task = parseTaskXml(utf8(`<?xml version="1.0" encoding="UTF-16"?>\r\n${body}`));
    expect(task.author).toBe('Zoë');
    expect(task.encoding).toBe('utf-8');
    expect(messages(task)).toEqual([
      'XML declaration: the declaration says utf-16 but the bytes are not UTF-16 (no BOM, no zero bytes); read as UTF-8',
    ]);
  });

  it('reads UTF-8 with a BOM, UTF-16LE without one, UTF-16BE with one, and a declared code page', () => {
    expect(parseTaskXml(Buffer.concat([Buffer.of(0xef, 0xbb, 0xbf), utf8(body)])).author).toBe('Zoë');
    const le = parseTaskXml(Buffer.from(body, 'utf16le'));
    expect([le.author, le.encoding]).toEqual(['Zoë', 'utf-16le']);
    const be = Buffer.from(`\uFEFF${body}`, 'utf16le').swap16();
    expect(parseTaskXml(be)).toMatchObject({ author: 'Zoë', encoding: 'utf-16be' });
    const latin = Buffer.from(`<?xml version="1.0" encoding="windows-1252"?>${body}`, 'latin1');
    expect(parseTaskXml(latin)).toMatchObject({ author: 'Zoë', encoding: 'windows-1252' });
  });

  it('replaces invalid UTF-8 and lone UTF-16 surrogates with U+FFFD, with diagnostics', () => {
    const bad = Buffer.concat([
      utf8(`<Task xmlns="${NS}"><Actions><Exec><Command>a`),
      Buffer.of(0xff),
      utf8('.exe</Command></Exec></Actions></Task>'),
    ]);
    const task = parseTaskXml(bad);
    expect(task.actions[0]).toMatchObject({ command: 'a\uFFFD.exe' });
    expect(messages(task)).toEqual([
      'file: the bytes are not valid UTF-8; invalid sequences replaced with U+FFFD',
    ]);
    const lone = parseTaskXml(
      utf16(`<Task xmlns="${NS}"><Actions><Exec><Command>b\uD800.exe</Command></Exec></Actions></Task>`),
    );
    expect(lone.actions[0]).toMatchObject({ command: 'b\uFFFD.exe' });
    expect(messages(lone)).toEqual(['file: 1 lone UTF-16 surrogate(s) replaced with U+FFFD']);
  });
});

describe('parseTaskXml: damage is reported and parsing goes on', () => {
  it('keeps the actions of a file cut off in the middle', () => {
    const whole = utf16(FULL);
    const cut = whole.subarray(0, whole.indexOf(Buffer.from('<ComHandler>', 'utf16le')) + 20);
    const task = parseTaskXml(cut);
    expect(task.actions[0]).toMatchObject({ type: 'exec', command: 'C:\\ProgramData\\upd.exe' });
    expect(task.triggers).toHaveLength(9);
    expect(task.principal?.id).toBe('LocalSystem');
    expect(messages(task).join('\n')).toMatch(/element <Task> is not closed at the end of the input/);
  });

  it('reports bad values, repeated and missing elements, and unknown actions', () => {
    const task = parseTaskXml(
      utf16(`<Task xmlns="${NS}">
        <Settings><Enabled>yes</Enabled><Hidden>1</Hidden></Settings>
        <Settings><Hidden>false</Hidden></Settings>
        <Principals><Principal id="A"><UserId>u</UserId></Principal></Principals>
        <Actions Context="B"><Exec><Command>one</Command><Command>two</Command></Exec><Launch>x</Launch></Actions>
      </Task>`),
    );
    expect(task).toMatchObject({ enabled: true, hidden: true });
    expect(task.principal?.id).toBe('A');
    expect(task.actions).toEqual([
      { type: 'exec', id: null, command: 'one', arguments: null, workingDirectory: null },
      { type: 'other', id: null, element: 'Launch', text: 'x' },
    ]);
    expect(messages(task)).toEqual([
      'Task/Settings: Settings appears 2 times; the first is used',
      'Actions: Context "B" names no Principal; the first principal is used',
      'Actions/Exec[0]/Command: Command appears 2 times; the first is used',
      'Actions/Launch[1]: unknown action <Launch>; listed with its text',
      'Settings/Enabled: "yes" is not a boolean; the default true is used',
    ]);
    const none = parseTaskXml(`<Task xmlns="${NS}"/>`);
    expect(messages(none)).toEqual(['Task: the task has no Actions element (the schema requires one)']);
  });

  it('recovers from malformed XML: stray end tags, bad entities, unquoted and duplicate attributes, a stray "<"', () => {
    const task = parseTaskXml(
      `<Task xmlns="${NS}" version="1.2" version="9"><Actions Context=x><Exec><Command>a &bogus; &amp b < c</Command></Oops><Arguments>-x</Arguments></Exec></Actions></Task>`,
    );
    expect(task.version).toBe('1.2');
    expect(task.actions[0]).toMatchObject({ command: 'a &bogus; &amp b < c', arguments: '-x' });
    const all = messages(task).join('\n');
    expect(all).toMatch(/duplicate attribute version on <Task>; the first is kept/);
    expect(all).toMatch(/the value of attribute Context of <Actions> is not quoted; ignored/);
    expect(all).toMatch(/unknown entity &bogus;; kept as text/);
    expect(all).toMatch(/"&" not followed by a reference; kept as text/);
    expect(all).toMatch(/"<" does not start a tag; kept as text/);
    expect(all).toMatch(/end tag <\/Oops> matches no open element; skipped/);
    expect(task.diagnostics.every((d) => d.structure === 'XML' && /line 1, column \d+/.test(d.message))).toBe(
      true,
    );
  });

  it('closes elements left open by a mismatched end tag', () => {
    const task = parseTaskXml(`<Task xmlns="${NS}"><Actions><Exec><Command>a.exe</Actions></Task>`);
    expect(task.actions[0]).toMatchObject({ command: 'a.exe' });
    expect(messages(task)).toEqual([
      'XML: element <Command> is not closed before </Actions>; closed here (line 1, column 98)',
      'XML: element <Exec> is not closed before </Actions>; closed here (line 1, column 98)',
    ]);
  });

  it('never expands DOCTYPE entities (no entity-expansion attack)', () => {
    const bomb = `<?xml version="1.0"?><!DOCTYPE Task [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
      <Task xmlns="${NS}"><Actions><Exec><Command>&b;</Command></Exec></Actions></Task>`;
    const task = parseTaskXml(bomb);
    expect(task.actions[0]).toMatchObject({ command: '&b;' });
    expect(messages(task).join('\n')).toMatch(/DOCTYPE ignored/);
  });

  it('handles very deep nesting without recursion', () => {
    const depth = 100_000;
    const xml = `<Task xmlns="${NS}"><Actions><ComHandler><Data>${'<a>'.repeat(depth)}deep${'</a>'.repeat(depth)}</Data></ComHandler></Actions></Task>`;
    const task = parseTaskXml(xml);
    expect(task.actions[0]).toMatchObject({ type: 'comHandler', data: 'deep' });
  });

  it('keeps a setting named __proto__ as a plain key', () => {
    const task = parseTaskXml(
      `<Task xmlns="${NS}"><Settings><__proto__>x</__proto__></Settings><Actions/></Task>`,
    );
    expect(Object.keys(task.settings)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(task.settings, '__proto__')?.value).toBe('x');
    expect(Object.getPrototypeOf(task.settings)).toBeNull();
  });

  it('normalizes line ends in text and white space in attributes (XML 1.0 2.11, 3.3.3)', () => {
    const task = parseTaskXml(
      utf16(
        `<Task xmlns="${NS}">\r\n<RegistrationInfo><Description>line 1\r\nline 2\rline 3&#13;</Description></RegistrationInfo>\r\n<Actions Context="a\r\nb"/></Task>`,
      ),
    );
    expect(task.description).toBe('line 1\nline 2\nline 3\r');
    expect(task.actionsContext).toBe('a b');
  });

  it('ignores text outside the root and a second root element, with diagnostics', () => {
    const task = parseTaskXml(
      `stray <Task xmlns="${NS}"><Actions/></Task> after <Task><Actions><Exec/></Actions></Task>`,
    );
    expect(task.actions).toEqual([]);
    expect(messages(task)).toEqual([
      'XML: text before the root element is ignored (line 1, column 1)',
      expect.stringMatching(/^XML: text after the root element is ignored/),
      expect.stringMatching(/^XML: a second root element <Task> is ignored/),
    ]);
  });

  it('never resolves names through Object.prototype (&constructor;, <constructor/>)', () => {
    const task = parseTaskXml(
      `<Task xmlns="${NS}"><Triggers><constructor/><toString/></Triggers><Actions><Exec><Command>&constructor;&toString;</Command></Exec></Actions></Task>`,
    );
    expect(task.triggers.map((t) => t.type)).toEqual(['other', 'other']);
    expect(task.actions[0]).toMatchObject({ command: '&constructor;&toString;' });
  });

  it('notes a Task element outside the task namespace', () => {
    const task = parseTaskXml('<Task><Actions/></Task>');
    expect(messages(task)).toEqual([`Task: the Task element's namespace is missing, not ${NS}`]);
  });
});

describe('parseTaskXml: not a task', () => {
  it.each([
    ['empty input', new Uint8Array(0), /holds no XML element/],
    ['plain text', utf8('just some text'), /holds no XML element/],
    [
      'another XML document',
      utf8('<?xml version="1.0"?><Job><Command>x</Command></Job>'),
      /root element is <Job>, not <Task>/,
    ],
    ['a legacy binary .job file', readSample('tasks_legacy/wintask.job'), /not a Task Scheduler task/],
  ])('rejects %s with DATA_INVALID', (_name, input, message) => {
    let error: unknown;
    try {
      parseTaskXml(input);
    } catch (e) {
      error = e;
    }
    expect(isTriageError(error, 'DATA_INVALID'), String(error)).toBe(true);
    expect((error as Error).message).toMatch(message);
  });

  it('reads only maxBytes and says so', () => {
    const task = parseTaskXml(utf16(FULL), { maxBytes: 3000 });
    expect(messages(task)[0]).toBe('file: only the first 3000 bytes were read (maxBytes)');
    expect(task.uri).toBe('\\Updater');
  });
});

/**
 * Task Scheduler 2.0 task files (`C:\Windows\System32\Tasks\…`), the XML of
 * Microsoft's Task Scheduler schema ("Task Scheduler Schema", task XML
 * versions 1.2–1.6; the element names and defaults are the schema's):
 * RegistrationInfo (Author, Date, URI, Description, Source…), Triggers (Boot,
 * Logon, Time, Calendar, Event, Registration, Idle, SessionStateChange…),
 * Principals (UserId, GroupId, LogonType, RunLevel), Settings (Enabled,
 * Hidden and the other simple settings) and Actions (Exec, ComHandler,
 * SendEmail, ShowMessage). Read with the package's own small XML reader
 * ({@link parseXml}); damage becomes a diagnostic and parsing goes on.
 */
import { TriageError } from '@triage/errors';
import type { ParseDiagnostic } from '../lnk/binary.js';
import { child, childElements, decodeXmlBytes, parseXml, textContent, type XmlElement } from './xml.js';

/**
 * A problem inside a task file that did not stop the parse. Its `offset` is
 * a character offset in the decoded text (the message adds line and column).
 */
export type TaskXmlDiagnostic = ParseDiagnostic;

/** Options for {@link parseTaskXml}. */
export interface TaskXmlOptions {
  /** Most bytes read; a longer input is cut there and a diagnostic says so. Default 16 MiB. */
  readonly maxBytes?: number;
}

/** A Principal: the account the task runs as. */
export interface TaskPrincipal {
  /** The `id` attribute (`Author`, `LocalSystem`…) that Actions' Context refers to. */
  readonly id: string | null;
  readonly userId: string | null;
  readonly groupId: string | null;
  /** `InteractiveToken`, `S4U`, `Password`, `ServiceAccount`…; null when absent. */
  readonly logonType: string | null;
  /** `LeastPrivilege` or `HighestAvailable`; null when absent (the schema's default is LeastPrivilege). */
  readonly runLevel: string | null;
  readonly displayName: string | null;
}

/** The kind of a trigger, from its element name. */
export type TaskTriggerType =
  | 'boot'
  | 'logon'
  | 'time'
  | 'calendar'
  | 'event'
  | 'registration'
  | 'idle'
  | 'sessionStateChange'
  | 'other';

/** One trigger; fields a trigger kind does not have are null. */
export interface TaskTrigger {
  readonly type: TaskTriggerType;
  /** The element name as written (`LogonTrigger`, `WnfStateChangeTrigger`…). */
  readonly element: string;
  readonly id: string | null;
  /** Enabled (schema default true). */
  readonly enabled: boolean;
  readonly startBoundary: string | null;
  readonly endBoundary: string | null;
  /** Delay (Boot, Logon, Event, Registration, SessionStateChange) or RandomDelay (Time, Calendar), ISO 8601 duration. */
  readonly delay: string | null;
  readonly executionTimeLimit: string | null;
  /** Repetition: Interval, Duration, StopAtDurationEnd. */
  readonly repetition: {
    readonly interval: string | null;
    readonly duration: string | null;
    readonly stopAtDurationEnd: boolean;
  } | null;
  /** LogonTrigger and SessionStateChangeTrigger: the user it is for. */
  readonly userId: string | null;
  /** EventTrigger: the event query (XML as text). */
  readonly subscription: string | null;
  /** SessionStateChangeTrigger: `ConsoleConnect`, `RemoteConnect`, `SessionLock`… */
  readonly stateChange: string | null;
  /** CalendarTrigger: the schedule element (`ScheduleByDay`…) and its values, e.g. `ScheduleByDay DaysInterval=1`. */
  readonly schedule: string | null;
}

/** One action. */
export type TaskAction =
  | {
      readonly type: 'exec';
      readonly id: string | null;
      readonly command: string | null;
      readonly arguments: string | null;
      readonly workingDirectory: string | null;
    }
  | {
      readonly type: 'comHandler';
      readonly id: string | null;
      readonly classId: string | null;
      readonly data: string | null;
    }
  | {
      readonly type: 'sendEmail';
      readonly id: string | null;
      readonly server: string | null;
      readonly from: string | null;
      readonly to: string | null;
      readonly subject: string | null;
      readonly body: string | null;
    }
  | {
      readonly type: 'showMessage';
      readonly id: string | null;
      readonly title: string | null;
      readonly body: string | null;
    }
  | { readonly type: 'other'; readonly id: string | null; readonly element: string; readonly text: string };

/** A parsed task. Every string field is null when the file does not hold it. */
export interface TaskXml {
  /** The Task element's `version` attribute (`1.2`…). */
  readonly version: string | null;
  readonly uri: string | null;
  readonly author: string | null;
  /** RegistrationInfo/Date as written (local time without a zone, usually). */
  readonly date: string | null;
  readonly description: string | null;
  readonly source: string | null;
  readonly documentation: string | null;
  /** RegistrationInfo/Version: the task's own version string. */
  readonly taskVersion: string | null;
  readonly securityDescriptor: string | null;
  /** Settings/Enabled (schema default true). */
  readonly enabled: boolean;
  /** Settings/Hidden (schema default false). */
  readonly hidden: boolean;
  /** Every simple Settings value by element name (`ExecutionTimeLimit` → `PT72H`…). */
  readonly settings: Readonly<Record<string, string>>;
  /** The principal the actions run as: the one Actions' Context names, else the first. */
  readonly principal: TaskPrincipal | null;
  readonly principals: readonly TaskPrincipal[];
  readonly triggers: readonly TaskTrigger[];
  /** Actions' Context attribute. */
  readonly actionsContext: string | null;
  readonly actions: readonly TaskAction[];
  /** How the bytes were decoded (`utf-16le`, `utf-8`…). */
  readonly encoding: string;
  readonly diagnostics: readonly TaskXmlDiagnostic[];
}

const TRIGGER_TYPES: Readonly<Record<string, TaskTriggerType>> = {
  BootTrigger: 'boot',
  LogonTrigger: 'logon',
  TimeTrigger: 'time',
  CalendarTrigger: 'calendar',
  EventTrigger: 'event',
  RegistrationTrigger: 'registration',
  IdleTrigger: 'idle',
  SessionStateChangeTrigger: 'sessionStateChange',
};
const TASK_NAMESPACE = 'http://schemas.microsoft.com/windows/2004/02/mit/task';

class TaskParse {
  constructor(readonly diagnostics: ParseDiagnostic[]) {}

  diag(structure: string, element: XmlElement | null, message: string): void {
    this.diagnostics.push({ structure, offset: element?.offset ?? null, message });
  }

  /** The text of the only child with this name (the first, with a diagnostic, if repeated). */
  text(parent: XmlElement | undefined, name: string, structure: string): string | null {
    if (!parent) return null;
    const matches = childElements(parent).filter((c) => c.localName === name);
    const first = matches[0];
    if (!first) return null;
    if (matches.length > 1)
      this.diag(
        `${structure}/${name}`,
        matches[1] ?? null,
        `${name} appears ${matches.length} times; the first is used`,
      );
    return textContent(first);
  }

  /** An xs:boolean child, or the schema default when absent or invalid. */
  bool(parent: XmlElement | undefined, name: string, fallback: boolean, structure: string): boolean {
    const value = this.text(parent, name, structure);
    if (value === null) return fallback;
    const v = value.trim();
    if (v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
    this.diag(
      `${structure}/${name}`,
      child(parent, name) ?? null,
      `"${value}" is not a boolean; the default ${fallback} is used`,
    );
    return fallback;
  }

  /** The only child element with this name, with a diagnostic when repeated. */
  single(parent: XmlElement | undefined, name: string, structure: string): XmlElement | undefined {
    if (!parent) return undefined;
    const matches = childElements(parent).filter((c) => c.localName === name);
    if (matches.length > 1)
      this.diag(
        `${structure}/${name}`,
        matches[1] ?? null,
        `${name} appears ${matches.length} times; the first is used`,
      );
    return matches[0];
  }
}

function parsePrincipal(p: TaskParse, element: XmlElement, structure: string): TaskPrincipal {
  return {
    id: element.attributes.get('id') ?? null,
    userId: p.text(element, 'UserId', structure),
    groupId: p.text(element, 'GroupId', structure),
    logonType: p.text(element, 'LogonType', structure),
    runLevel: p.text(element, 'RunLevel', structure),
    displayName: p.text(element, 'DisplayName', structure),
  };
}

function parseTrigger(p: TaskParse, element: XmlElement, structure: string): TaskTrigger {
  const repetition = p.single(element, 'Repetition', structure);
  const calendar = childElements(element).find((c) => c.localName.startsWith('ScheduleBy'));
  let schedule: string | null = null;
  if (calendar) {
    const values = childElements(calendar).map((c) => {
      const inner = childElements(c);
      return inner.length > 0
        ? `${c.localName}=${inner.map((i) => (i.localName === 'Day' ? textContent(i).trim() : i.localName)).join(',')}`
        : `${c.localName}=${textContent(c).trim()}`;
    });
    schedule = [calendar.localName, ...values].join(' ');
  }
  return {
    type: Object.hasOwn(TRIGGER_TYPES, element.localName)
      ? (TRIGGER_TYPES[element.localName] as TaskTriggerType)
      : 'other',
    element: element.localName,
    id: element.attributes.get('id') ?? null,
    enabled: p.bool(element, 'Enabled', true, structure),
    startBoundary: p.text(element, 'StartBoundary', structure),
    endBoundary: p.text(element, 'EndBoundary', structure),
    delay: p.text(element, 'Delay', structure) ?? p.text(element, 'RandomDelay', structure),
    executionTimeLimit: p.text(element, 'ExecutionTimeLimit', structure),
    repetition: repetition
      ? {
          interval: p.text(repetition, 'Interval', `${structure}/Repetition`),
          duration: p.text(repetition, 'Duration', `${structure}/Repetition`),
          stopAtDurationEnd: p.bool(repetition, 'StopAtDurationEnd', false, `${structure}/Repetition`),
        }
      : null,
    userId: p.text(element, 'UserId', structure),
    subscription: p.text(element, 'Subscription', structure),
    stateChange: p.text(element, 'StateChange', structure),
    schedule,
  };
}

function parseAction(p: TaskParse, element: XmlElement, structure: string): TaskAction {
  const id = element.attributes.get('id') ?? null;
  const t = (name: string) => p.text(element, name, structure);
  switch (element.localName) {
    case 'Exec':
      return {
        type: 'exec',
        id,
        command: t('Command'),
        arguments: t('Arguments'),
        workingDirectory: t('WorkingDirectory'),
      };
    case 'ComHandler':
      return { type: 'comHandler', id, classId: t('ClassId'), data: t('Data') };
    case 'SendEmail':
      return {
        type: 'sendEmail',
        id,
        server: t('Server'),
        from: t('From'),
        to: t('To'),
        subject: t('Subject'),
        body: t('Body'),
      };
    case 'ShowMessage':
      return { type: 'showMessage', id, title: t('Title'), body: t('Body') };
    default:
      p.diag(structure, element, `unknown action <${element.localName}>; listed with its text`);
      return { type: 'other', id, element: element.localName, text: textContent(element) };
  }
}

/**
 * Parses a Task Scheduler task file (the XML in `C:\Windows\System32\Tasks`,
 * or a task's XML from an event such as 4698). Handles UTF-16 with or
 * without a BOM, UTF-8, and UTF-8 bytes under a declaration that says
 * UTF-16. Malformed XML, repeated elements and invalid values become
 * diagnostics; parsing goes on with what can be read.
 *
 * @param input - the file's bytes, or its text already decoded
 * @param options - `maxBytes` (default 16 MiB)
 * @returns registration info, settings, principal, triggers, actions and diagnostics
 * @throws DATA_INVALID when the input holds no XML element, or its root element is not `Task`
 */
export function parseTaskXml(input: Uint8Array | string, options: TaskXmlOptions = {}): TaskXml {
  const maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
  const diagnostics: ParseDiagnostic[] = [];
  let text: string;
  let encoding: string;
  if (typeof input === 'string') {
    text = input.length > maxBytes ? input.slice(0, maxBytes) : input;
    encoding = 'text';
    if (input.length > maxBytes)
      diagnostics.push({
        structure: 'file',
        offset: maxBytes,
        message: `only the first ${maxBytes} characters were read (maxBytes)`,
      });
  } else {
    if (input.length > maxBytes)
      diagnostics.push({
        structure: 'file',
        offset: maxBytes,
        message: `only the first ${maxBytes} bytes were read (maxBytes)`,
      });
    ({ text, encoding } = decodeXmlBytes(input.subarray(0, maxBytes), diagnostics));
  }
  const root = parseXml(text, diagnostics);
  if (root === null) {
    throw new TriageError(
      'DATA_INVALID',
      'The input is not a Task Scheduler task: it holds no XML element.',
      {
        context: { encoding, size: text.length },
      },
    );
  }
  if (root.localName !== 'Task') {
    throw new TriageError(
      'DATA_INVALID',
      `The input is not a Task Scheduler task: its root element is <${root.name}>, not <Task>.`,
      { context: { root: root.name } },
    );
  }
  const p = new TaskParse(diagnostics);
  if (root.namespace !== TASK_NAMESPACE) {
    p.diag(
      'Task',
      root,
      `the Task element's namespace is ${root.namespace ?? 'missing'}, not ${TASK_NAMESPACE}`,
    );
  }
  const registration = p.single(root, 'RegistrationInfo', 'Task');
  const settingsElement = p.single(root, 'Settings', 'Task');
  const principalsElement = p.single(root, 'Principals', 'Task');
  const triggersElement = p.single(root, 'Triggers', 'Task');
  const actionsElement = p.single(root, 'Actions', 'Task');
  const reg = (name: string) => p.text(registration, name, 'RegistrationInfo');

  // No prototype: an element named __proto__ must stay a plain key.
  const settings = Object.create(null) as Record<string, string>;
  for (const s of settingsElement ? childElements(settingsElement) : []) {
    if (childElements(s).length === 0 && !(s.localName in settings)) settings[s.localName] = textContent(s);
  }

  const principals = (principalsElement ? childElements(principalsElement) : [])
    .filter((e) => e.localName === 'Principal')
    .map((e, k) => parsePrincipal(p, e, `Principals/Principal[${k}]`));
  const actionsContext = actionsElement?.attributes.get('Context') ?? null;
  let principal = principals[0] ?? null;
  if (actionsContext !== null) {
    const named = principals.find((x) => x.id === actionsContext);
    if (named) principal = named;
    else
      p.diag(
        'Actions',
        actionsElement ?? null,
        `Context "${actionsContext}" names no Principal; the first principal is used`,
      );
  }

  const triggers = (triggersElement ? childElements(triggersElement) : []).map((e, k) =>
    parseTrigger(p, e, `Triggers/${e.localName}[${k}]`),
  );
  const actions = (actionsElement ? childElements(actionsElement) : []).map((e, k) =>
    parseAction(p, e, `Actions/${e.localName}[${k}]`),
  );
  if (!actionsElement) p.diag('Task', root, 'the task has no Actions element (the schema requires one)');

  return {
    version: root.attributes.get('version') ?? null,
    uri: reg('URI'),
    author: reg('Author'),
    date: reg('Date'),
    description: reg('Description'),
    source: reg('Source'),
    documentation: reg('Documentation'),
    taskVersion: reg('Version'),
    securityDescriptor: reg('SecurityDescriptor'),
    enabled: p.bool(settingsElement, 'Enabled', true, 'Settings'),
    hidden: p.bool(settingsElement, 'Hidden', false, 'Settings'),
    settings,
    principal,
    principals,
    triggers,
    actionsContext,
    actions,
    encoding,
    diagnostics,
  };
}

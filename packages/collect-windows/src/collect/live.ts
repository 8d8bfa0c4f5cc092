/**
 * What a live collection on Windows must export before the collectors can
 * read it: the files the running system keeps open and locked. The
 * collector app exports each (`reg save`, `wevtutil epl`) into a private
 * folder and passes the copies as `exports` to `collectWindows`; everything
 * else (task files, shortcuts, Prefetch) is read in place.
 */

/** One file to export: where it lives below the volume root, and how to export it. */
export type LiveExport =
  | {
      /** Its path below the volume root, as `collectWindows`'s `exports` keys it. */
      readonly path: string;
      /** `reg save <key> <file> /y`. */
      readonly how: 'reg-save';
      /** The registry key, e.g. `HKLM\SAM`. */
      readonly key: string;
    }
  | {
      readonly path: string;
      /** `wevtutil epl <channel> <file> /ow:true`. */
      readonly how: 'wevtutil-epl';
      /** The event log channel, e.g. `Security`. */
      readonly channel: string;
    };

/**
 * The machine hives and event logs to export for a live collection, each
 * needing administrator rights on a default installation (the System log is
 * readable by interactive users). The hives of logged-on users are exported
 * by the app from `HKEY_USERS`; Amcache.hve and everything else is read in
 * place.
 */
export const LIVE_EXPORTS: readonly LiveExport[] = [
  { path: 'Windows\\System32\\config\\SAM', how: 'reg-save', key: 'HKLM\\SAM' },
  { path: 'Windows\\System32\\config\\SYSTEM', how: 'reg-save', key: 'HKLM\\SYSTEM' },
  { path: 'Windows\\System32\\config\\SOFTWARE', how: 'reg-save', key: 'HKLM\\SOFTWARE' },
  { path: 'Windows\\System32\\winevt\\Logs\\Security.evtx', how: 'wevtutil-epl', channel: 'Security' },
  { path: 'Windows\\System32\\winevt\\Logs\\System.evtx', how: 'wevtutil-epl', channel: 'System' },
  {
    path: 'Windows\\System32\\winevt\\Logs\\Microsoft-Windows-TerminalServices-RemoteConnectionManager%4Operational.evtx',
    how: 'wevtutil-epl',
    channel: 'Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational',
  },
  {
    path: 'Windows\\System32\\winevt\\Logs\\Microsoft-Windows-TerminalServices-LocalSessionManager%4Operational.evtx',
    how: 'wevtutil-epl',
    channel: 'Microsoft-Windows-TerminalServices-LocalSessionManager/Operational',
  },
];

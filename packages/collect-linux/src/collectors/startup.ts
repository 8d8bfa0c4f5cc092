import type { ArtifactRecord } from '@triage/artifact-schema';
import type { Collector } from '../context.js';
import { StartupScope } from './startup-common.js';
import { atItems, cronItems } from './startup-cron.js';
import { xdgAutostartItems } from './startup-desktop.js';
import { profileItems, rcLocalItems, sysvItems } from './startup-scripts.js';
import { ldPreloadItems, modulesLoadItems, udevItems } from './startup-system.js';
import { systemdItems } from './startup-systemd.js';

/**
 * Startup and persistence items (`startup_item`), live or from an image:
 *
 * | mechanism       | read from                                                                 | one item per            |
 * |-----------------|---------------------------------------------------------------------------|-------------------------|
 * | `systemd_unit`  | `.service` files and drop-ins, system, global user and `~/.config/systemd/user` | Exec directive    |
 * | `systemd_timer` | `.timer` files and drop-ins, same directories                             | file                    |
 * | `cron`          | /etc/crontab, /etc/cron.d, /var/spool/cron(/crontabs), /etc/anacrontab; /etc/cron.{hourly,…} | job line; script |
 * | `at_job`        | /var/spool/cron/atjobs, /var/spool/at                                     | job                     |
 * | `rc_local`      | /etc/rc.local, /etc/rc.d/rc.local                                         | file                    |
 * | `sysv_init`     | /etc/init.d (enabled from /etc/rc?.d `S` links)                           | script                  |
 * | `xdg_autostart` | /etc/xdg/autostart, ~/.config/autostart                                   | `.desktop` file         |
 * | `shell_profile` | /etc/profile, /etc/profile.d, bash/zsh/csh/fish rc files, home dot files  | file (command null)     |
 * | `ld_preload`    | /etc/ld.so.preload                                                        | library                 |
 * | `modules_load`  | /etc/modules, modules-load.d `*.conf`                                     | module name             |
 * | `udev_rule`     | udev `rules.d/*.rules`                                                    | `RUN` program           |
 *
 * Per-user locations are looked for in every account's home plus `/root` and
 * any `/home/*` no account names. `executable` is the program the command
 * runs resolved inside the root (see `resolveExecutable`), and each one is
 * referenced for a `file_metadata` record (`startup_item:<path>[:<line>]`).
 * `user` is null where the source does not say (system-wide items run as root).
 * An unreadable file or directory is reported with `ctx.error` and skipped.
 */
export const startupCollector: Collector = {
  name: 'startup',
  kinds: ['startup_item'],
  liveOnly: false,
  async *collect(ctx): AsyncGenerator<ArtifactRecord> {
    const scope = new StartupScope(ctx);
    for (const source of [
      systemdItems,
      cronItems,
      atItems,
      rcLocalItems,
      sysvItems,
      xdgAutostartItems,
      profileItems,
      ldPreloadItems,
      modulesLoadItems,
      udevItems,
    ]) {
      yield* source(scope);
    }
  },
};

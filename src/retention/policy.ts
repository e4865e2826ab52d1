// Pod's obsolescence rule: a video is kept RETENTION_DEFAULT_YEARS after it
// is added, longer or shorter by its owner's affiliation
// (RETENTION_AFFILIATION_YEARS, Pod's ACCOMMODATION_YEARS); its editors may
// move the date within RETENTION_MAX_YEARS from today (Pod's
// MAX_DURATION_DATE_DELETE), managers without that bound.
import type { Config } from '../core/config.ts';
import { listSetting } from '../core/config.ts';

export type RetentionConfig = Pick<Config, 'RETENTION_DEFAULT_YEARS' | 'RETENTION_AFFILIATION_YEARS' | 'RETENTION_MAX_YEARS'>;

/** Years a video of an owner with this affiliation is kept. */
export function retentionYears(config: RetentionConfig, affiliation: string): number {
  for (const item of listSetting(config.RETENTION_AFFILIATION_YEARS)) {
    const [name, years] = item.split(':');
    if (name === affiliation) return Number(years);
  }
  return config.RETENTION_DEFAULT_YEARS;
}

/** A calendar date (UTC) as YYYY-MM-DD. */
export const isoDay = (d: Date) => d.toISOString().slice(0, 10);

/** `day` plus some years, as YYYY-MM-DD (29 February becomes 28 February in a common year). */
export function addYears(day: Date, years: number): string {
  const d = new Date(Date.UTC(day.getUTCFullYear() + years, day.getUTCMonth(), 1));
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day.getUTCDate(), last));
  return isoDay(d);
}

/** The date_delete of a video added on `added` by an owner of this affiliation. */
export const defaultDateDelete = (config: RetentionConfig, added: Date, affiliation: string) => addYears(added, retentionYears(config, affiliation));

/** Why `date` cannot be a video's date_delete today, or null when it can. Managers: any future date. */
export function dateDeleteProblem(config: RetentionConfig, date: string, today: Date, manager: boolean): string | null {
  const day = isoDay(today);
  if (date <= day) return `date_delete must be after today (${day})`;
  const max = addYears(today, config.RETENTION_MAX_YEARS);
  if (!manager && date > max) return `date_delete can be at most ${config.RETENTION_MAX_YEARS} years from today (${max})`;
  return null;
}

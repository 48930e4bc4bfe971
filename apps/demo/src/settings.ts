/**
 * The `settings` dataset: one record per setting, values are plain strings.
 *
 * Defaults live here, in the app, and are never written to the dataset: writing them at start-up
 * would give every new guest data on the server, and every later sign-in a merge to deal with.
 */
import type { Dataset } from '@tandem/client-sdk';
import { useDataset, useRecords, type RecordItem } from './sync/hooks.js';
import { SETTINGS } from './tandem.js';

export type Theme = 'system' | 'light' | 'dark';
export type NoteOrder = 'newest' | 'oldest';

export interface Settings {
  displayName: string;
  theme: Theme;
  noteOrder: NoteOrder;
}

export const THEMES: ReadonlyArray<{ value: Theme; label: string }> = [
  { value: 'system', label: 'System' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

export const NOTE_ORDERS: ReadonlyArray<{ value: NoteOrder; label: string }> = [
  { value: 'newest', label: 'Newest first' },
  { value: 'oldest', label: 'Oldest first' },
];

/** Human names of the keys (also used by the conflict dialog). */
export const SETTING_LABELS: Readonly<Record<string, string>> = {
  displayName: 'Display name',
  theme: 'Theme',
  noteOrder: 'Note order',
};

const oneOf = <T extends string>(options: ReadonlyArray<{ value: T }>, value: string | undefined) =>
  options.find((option) => option.value === value)?.value;

/** Reads the records leniently: another app version may have written values this one lacks. */
export function readSettings(records: readonly RecordItem[]): Settings {
  const value = (key: keyof Settings) => records.find((record) => record.key === key)?.value;
  return {
    displayName: value('displayName') ?? '',
    theme: oneOf(THEMES, value('theme')) ?? 'system',
    noteOrder: oneOf(NOTE_ORDERS, value('noteOrder')) ?? 'newest',
  };
}

/** The settings dataset (null while it opens) and the settings it holds. */
export function useSettings(): {
  dataset: Dataset | null;
  settings: Settings;
  records: readonly RecordItem[];
} {
  const dataset = useDataset(SETTINGS);
  const records = useRecords(dataset);
  return { dataset, settings: readSettings(records), records };
}

/**
 * The panel's form model: every RunConfig field as the text the user sees (numbers as strings, gain null as
 * "default"), and its conversion to the RawConfig that resolveConfig validates. Numbers stay text until
 * resolveConfig parses them, so "abc" or "-3" reach the one validator (and its ConfigError) instead of being
 * dropped or clamped by the widget.
 */
import { DEFAULT_GAIN, FIELDS, type FieldName, type RawConfig, type RunConfig } from '../model/config';

/** Field names in panel order. */
export const FIELD_NAMES = Object.keys(FIELDS) as FieldName[];

/** What the panel shows: preset name plus each field as text (enums: the value itself). */
export type FormValues = { preset: string } & Record<FieldName, string>;

/** The form showing a validated config: numbers with String(), gain null as "default". */
export function formFromConfig(cfg: RunConfig): FormValues {
  const form = { preset: cfg.preset } as FormValues;
  for (const name of FIELD_NAMES) {
    const v = cfg[name];
    form[name] = v === null ? (name === 'widths' ? '' : DEFAULT_GAIN) : String(v);
  }
  return form;
}

/**
 * The raw input resolveConfig validates. Fields that the config derives from others are left out so that
 * they follow their source: depth, width, inputDim and outputDim when a widths list is given (unless one of them is
 * edited, which then replaces the list); inputDim when input is digits (always 64), outputDim when input is digits and
 * the loss is not sum (always 10) — unless that very field is edited, so a user who types into it gets resolveConfig's
 * explanation instead of a silent reset.
 *
 * @param edited the field the user just changed, or the fields a set of overrides changes (compare.ts); null or []
 *   for none (Run button, preset)
 */
export function rawFromForm(form: FormValues, edited: FieldName | readonly FieldName[] | null): RawConfig {
  const edits: readonly FieldName[] = edited === null ? [] : typeof edited === 'string' ? [edited] : edited;
  const raw: RawConfig = { preset: form.preset };
  for (const name of FIELD_NAMES) raw[name] = form[name];
  // A widths list decides depth, width, inputDim and outputDim: editing one of those replaces the list, and with a
  // list the fields it decides are left out (they follow it) unless they are edited along with it.
  const scalars = ['depth', 'width', 'inputDim', 'outputDim'] as const;
  if (scalars.some((f) => edits.includes(f)) && !edits.includes('widths')) delete raw.widths;
  else if (form.widths.trim() !== '') for (const f of scalars) if (!edits.includes(f)) delete raw[f];
  if (form.input === 'digits') {
    if (!edits.includes('inputDim')) delete raw.inputDim;
    if (form.loss !== 'sum' && !edits.includes('outputDim')) delete raw.outputDim;
  }
  return raw;
}

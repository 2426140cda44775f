/**
 * Puts the explanations (explanations.ts) on the page: "?" buttons whose tooltip is the text and whose click shows
 * it as a paragraph, and the glossary of every tensor, statistic, summary item and preset.
 *
 * Keys: "tensor.z", "stat.rms", "site.firstNonFinite", "training.curves", "chart.forward", "preset.relu-he", "dist.heatmap".
 */
import { CHART_TEXT, DISTRIBUTION_TEXT, PRESET_TEXT, SITE_TEXT, STAT_TEXT, TENSOR_TEXT, TRAINING_TEXT } from './explanations';

/** Every explanation by key. */
const TEXTS: ReadonlyMap<string, string> = new Map([
  ...Object.entries(TENSOR_TEXT).map(([k, v]) => [`tensor.${k}`, v] as const),
  ...Object.entries(STAT_TEXT).map(([k, v]) => [`stat.${k}`, v] as const),
  ...Object.entries(SITE_TEXT).map(([k, v]) => [`site.${k}`, v] as const),
  ...Object.entries(TRAINING_TEXT).map(([k, v]) => [`training.${k}`, v] as const),
  ...Object.entries(CHART_TEXT).map(([k, v]) => [`chart.${k}`, v] as const),
  ...Object.entries(PRESET_TEXT).map(([k, v]) => [`preset.${k}`, v] as const),
  ...Object.entries(DISTRIBUTION_TEXT).map(([k, v]) => [`dist.${k}`, v] as const),
]);

/** The explanation of `key`, or "" for none. */
export function explanation(key: string): string {
  return TEXTS.get(key) ?? '';
}

/**
 * Wire every `button.help[data-help]` under `root`: its tooltip is the text, and a click shows or hides the
 * paragraph `p.explain[data-help]` of the same key (filled with the text; hidden at first).
 * @throws Error if a key has no text or no paragraph (index.html and explanations.ts disagree)
 */
export function installHelp(root: ParentNode): void {
  for (const button of root.querySelectorAll<HTMLButtonElement>('button.help[data-help]')) {
    const key = button.dataset.help!;
    const text = explanation(key);
    const paragraph = root.querySelector<HTMLElement>(`p.explain[data-help="${key}"]`);
    if (text === '' || !paragraph) throw new Error(`index.html: help "${key}" has no ${text === '' ? 'text' : 'paragraph'}`);
    paragraph.textContent = text;
    paragraph.hidden = true;
    paragraph.id ||= `explain-${key.replace('.', '-')}`;
    button.title = text;
    button.setAttribute('aria-label', `explain: ${key.split('.')[1]}`);
    button.setAttribute('aria-controls', paragraph.id);
    button.setAttribute('aria-expanded', 'false');
    button.addEventListener('click', () => {
      paragraph.hidden = !paragraph.hidden;
      button.setAttribute('aria-expanded', String(!paragraph.hidden));
    });
  }
}

/** A definition list of `texts` (key prefix `prefix`): <dt>name</dt><dd data-explain="prefix.name">text</dd>. */
function definitions(prefix: string, texts: Readonly<Record<string, string>>): HTMLElement {
  const dl = document.createElement('dl');
  for (const [name, text] of Object.entries(texts)) {
    const dt = document.createElement('dt');
    dt.textContent = name;
    const dd = document.createElement('dd');
    dd.dataset.explain = `${prefix}.${name}`;
    dd.textContent = text;
    dl.append(dt, dd);
  }
  return dl;
}

/** Fill `box` with the glossary: the tensors, the statistics, the summary's sites and what to look for in each preset. */
export function renderGlossary(box: HTMLElement): void {
  const sections: [string, string, Readonly<Record<string, string>>][] = [
    ['The tensors of layer l (lecture notation)', 'tensor', TENSOR_TEXT],
    ['The statistics of a tensor', 'stat', STAT_TEXT],
    ['The summary line', 'site', SITE_TEXT],
    ['The presets: what to look for', 'preset', PRESET_TEXT],
    ['The distributions (histograms)', 'dist', DISTRIBUTION_TEXT],
  ];
  box.replaceChildren(...sections.flatMap(([title, prefix, texts]) => {
    const h = document.createElement('h3');
    h.textContent = title;
    return [h, definitions(prefix, texts)];
  }));
}

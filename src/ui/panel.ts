/**
 * The control panel (lil-gui): the preset, every RunConfig field and a Run button.
 *
 * Numeric fields are text fields with no min/max (lil-gui would clamp or drop bad numbers silently); the
 * caller validates with resolveConfig and reports ConfigError. Each field's row carries `data-field="<name>"`
 * and a tooltip with its allowed range.
 */
import GUI, { type Controller } from 'lil-gui';
import { allowedValues, FIELDS, INIT_NAMES, PRESET_NAMES, type FieldName, type InitName } from '../model/config';
import { INIT_ALSO_KNOWN_AS, INIT_PARAM_FIELDS, INIT_PARAMS, type InitParamField } from '../model/init';
import { PRESET_TEXT } from './explanations';
import { FIELD_NAMES, type FormValues } from './form';

/** What the panel reports to its owner. */
export interface PanelHandlers {
  /** A preset was picked from the dropdown (never "custom"). */
  onPreset(name: string): void;
  /** The user finished editing `field` (blur/Enter for text, change for dropdowns); preset is now "custom". */
  onEdit(field: FieldName): void;
  /** The Run button was pressed. */
  onRun(): void;
}

/** Labels with the lecture notation. */
const LABELS: Partial<Record<FieldName, string>> = {
  depth: 'depth L',
  width: 'width n',
  batch: 'batch m',
  inputDim: 'inputDim n[0]',
  outputDim: 'outputDim n[L]',
};


/** The init list with the lecture's names beside PyTorch's: "kaiming_normal (He)" → kaiming_normal. */
function initOptions(): Record<string, string> {
  return Object.fromEntries(INIT_NAMES.map((n) => [INIT_ALSO_KNOWN_AS[n] ? `${n} (${INIT_ALSO_KNOWN_AS[n].name})` : n, n]));
}

/** A tooltip on each option of the init list: its variance and paper. */
function labelInitOptions(c: Controller): void {
  for (const option of c.domElement.querySelectorAll('option')) {
    const name = option.textContent?.split(' ')[0] as InitName;
    const aka = INIT_ALSO_KNOWN_AS[name];
    if (aka) option.title = `${name} = ${aka.name}: ${aka.variance}`;
  }
}

export class Panel {
  private readonly gui: GUI;
  private readonly controllers = new Map<FieldName | 'preset', Controller>();
  private readonly runButton: Controller;

  /**
   * @param container element the panel is placed in
   * @param form the values shown; the panel edits this object in place
   */
  constructor(container: HTMLElement, private readonly form: FormValues, handlers: PanelHandlers) {
    this.gui = new GUI({ container, title: 'Network', width: 300 });
    const preset = this.gui.add(form, 'preset', [...PRESET_NAMES, 'custom']).onChange((name: string) => {
      if (name !== 'custom') handlers.onPreset(name);
    });
    this.tag(preset, 'preset', `one of ${PRESET_NAMES.join(', ')}, custom`);
    for (const option of preset.domElement.querySelectorAll('option')) option.title = PRESET_TEXT[option.textContent ?? ''] ?? '';

    const network = this.gui.addFolder('Architecture and data');
    const init = this.gui.addFolder('Initialisation');
    const training = this.gui.addFolder('Loss, seed, backend');
    for (const name of FIELD_NAMES) {
      const folder = name === 'init' || (INIT_PARAM_FIELDS as readonly FieldName[]).includes(name) || name === 'bias' ? init
        : name === 'loss' || name === 'seed' || name === 'backend' ? training : network;
      const spec = FIELDS[name];
      const c = spec.kind === 'enum' ? folder.add(form, name, name === 'init' ? initOptions() : [...spec.values!]) : folder.add(form, name);
      if (name === 'init') labelInitOptions(c);
      c.name(LABELS[name] ?? name).onFinishChange(() => {
        if (name === 'init') this.showInitParams();
        if (form.preset !== 'custom') {
          form.preset = 'custom';
          preset.updateDisplay();
        }
        handlers.onEdit(name);
      });
      this.tag(c, name, allowedValues(name));
    }
    this.runButton = this.gui.add({ run: () => handlers.onRun() }, 'run').name('Run');
    this.runButton.domElement.dataset.field = 'run';
    this.showInitParams();
  }

  /** Show `values` in every field (e.g. a preset's values, or the config a run used). */
  setForm(values: FormValues): void {
    Object.assign(this.form, values);
    for (const c of this.controllers.values()) c.updateDisplay();
    this.showInitParams();
  }

  /** Mark the fields ConfigErrors name (red outline); an empty list clears every mark. */
  markInvalid(fields: readonly (FieldName | 'preset')[]): void {
    for (const [name, c] of this.controllers) {
      const bad = fields.includes(name);
      c.domElement.classList.toggle('invalid', bad);
      if (bad) c.show(); // an init parameter the current init hides can still be a bad one
    }
  }

  /** Show "Running…" on the button while a run is in progress. */
  setBusy(busy: boolean): void {
    this.runButton.name(busy ? 'Running…' : 'Run');
  }

  private tag(c: Controller, name: FieldName | 'preset', allowed: string): void {
    c.domElement.dataset.field = name;
    c.domElement.title = `${name}: ${allowed}`;
    this.controllers.set(name, c);
  }

  /** Show only the init parameters the chosen initialiser reads. */
  private showInitParams(): void {
    const used: readonly InitParamField[] = INIT_PARAMS[this.form.init as InitName] ?? INIT_PARAM_FIELDS;
    for (const name of INIT_PARAM_FIELDS) this.controllers.get(name)!.show(used.includes(name));
  }
}

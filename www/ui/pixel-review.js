// The review of burned-in text (PS3.15 E.3.1), shared by the page (app.js) and the <dicom-deid>
// element: one implementation rendered into a container the host gives (a <section> of the
// page, or one inside the element's shadow root). It is built on the public API only.
//
//   const review = new PixelReview(container, { onChange });
//   review.review(selection, { options })   // reads the headers, groups what the gate flags
//   review.withRules(options)                // the options with the decisions as pixel_rules
//   review.showResult(result)                // after a run: what happened to each group
//   review.clear(); review.setDisabled(true|false);
//
// After the selection is scanned (headers only), the images the engine's pixel gate flags
// (class carrier or possible) are grouped by signature (Modality, Manufacturer, Manufacturer's
// Model Name, Rows × Columns, Photometric Interpretation, SOP class, Image Type). Each group
// shows its count, the gate's reasons, the rule that matches, and a preview of one frame (the
// first; a slider chooses another) decoded by the engine in a worker (rule regions translucent,
// detector boxes outlined), where the user draws, moves and resizes rectangles with the pointer
// or the keyboard, and decides:
// clean these regions, keep as is (accepted risk) or exclude. Decisions become pixel rules
// matching the group's signature exactly; undecided groups stay with the engine's default
// (held). The rules download as the CLI's rules file (TOML) and load back; which loaded rule
// matches a group, and the regions a decision keeps (rounded, clipped to the image), are the
// engine's own answers (firstMatchingRule, clipRegions: the Rust code the CLI runs). Previews stay in
// memory; nothing leaves the machine.
//
// At scale (hundreds of flagged images in tens of groups) the groups are a compact grid (a
// listbox: thumbnail, image count, reasons, decision; arrow keys move the selection, Enter opens
// the editor, Escape in the editor comes back) beside a detail pane with the editor of the
// selected group. Thumbnails are decoded lazily (as their cells scroll into view; the selected
// group first), one at a time; tiny images are scaled up by whole factors (pixelated), large
// ones fitted to the pane. A sticky bar counts the undecided images and offers bulk decisions
// (exclude every undecided group; clean those whose matching rule has regions; keep, as accepted
// risk, those where the detector finds no text), each recorded per group as a single one is.
//
// Test hooks (data-testid): pixel-review (the container; data-state idle, scanning, ready
// (grid shown), previewed (the queued thumbnails decoded); data-undecided; data-shown-ms: from
// the selection listed to the grid painted), pixel-undecided, pixel-bulk-exclude,
// pixel-bulk-clean, pixel-bulk-keep, pixel-grid, pixel-cell (data-count, data-key,
// data-decision, data-thumb, data-detected), pixel-thumb, pixel-detail, pixel-group (the
// selected group's editor: data-count, data-decision, data-preview, data-detected: the
// detector's boxes in the shown frame, data-frames, data-frame: the frame drawn, 1-based),
// pixel-preview (its canvas), pixel-frame (the frame slider of a multi-frame image, 1-based),
// pixel-frame-label, pixel-text-frames (data-state checking or done, data-frames: the frames
// where the detector finds text, 1-based, comma-separated; a button each), pixel-clean,
// pixel-keep, pixel-exclude, pixel-rules-download, pixel-rules-input.
//
// A multi-frame image shows one frame at a time (the engine decodes only that frame): a slider
// chooses it; the rule's regions and the rectangles apply to every frame. Every frame of the
// shown file is then looked at by the detector in the background (one frame a task, after the
// thumbnails) and the frames with text are listed as buttons that show them (and as the
// slider's tick marks).
import { clipRegions, firstMatchingRule, messageOf, parsePixelRules, pixelPreview, pixelRulesToml, scanPixelGate } from '../dicom-deid.js';
import { t, translate } from '../i18n/i18n.js';
import { count, el, saveBlob } from './render.js';

/** The review's styles: host colours through the page's (--accent…) or the element's (--_accent…) properties. */
export const REVIEW_CSS = `
.px-review { --px-accent: var(--_accent, var(--accent, #1f5f99)); --px-line: var(--_border, var(--line, #cfd6dd)); --px-muted: var(--_muted, var(--muted, #56626e)); }
.px-review .px-tools { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 8px 0; }
.px-review .px-bar { position: sticky; top: 0; z-index: 2; display: flex; flex-wrap: wrap; gap: 6px 12px; align-items: center; padding: 4px 8px; margin: 6px 0; background: var(--card, Canvas); border: 1px solid var(--px-line); border-radius: 6px; box-shadow: 0 2px 4px rgba(0, 0, 0, 0.08); }
.px-review .px-bar .px-row { margin: 0; gap: 6px; }
.px-review .px-layout :is(canvas, button, .px-cell, h4) { scroll-margin-top: 8em; }
.px-review .px-bar button { font-size: 0.85em; padding: 3px 8px; min-height: 0; }
.px-review .px-bar[hidden], .px-review .px-layout[hidden] { display: none; }
.px-review .px-undecided { font-weight: 600; margin: 0; }
.px-review .px-layout { display: flex; flex-wrap: wrap; gap: 14px; margin-top: 10px; align-items: flex-start; }
.px-review .px-side { flex: 1 1 300px; min-width: 0; }
.px-review .px-grid { max-height: 36em; overflow-y: auto; display: grid; grid-template-columns: repeat(auto-fill, minmax(128px, 1fr)); gap: 8px; padding: 4px; align-content: start; border: 1px solid var(--px-line); border-radius: 8px; }
.px-review .px-cell { display: flex; flex-direction: column; gap: 2px; padding: 6px; border: 1px solid var(--px-line); border-radius: 6px; font-size: 0.82em; cursor: pointer; min-width: 0; }
.px-review .px-cell[aria-selected="true"] { border-color: var(--px-accent); box-shadow: inset 0 0 0 2px var(--px-accent); }
.px-review .px-cell:focus-visible { outline: 3px solid #f0a500; outline-offset: 2px; }
.px-review .px-cell[data-decision="clean"] { border-left: 6px solid #1e6b3a; }
.px-review .px-cell[data-decision="keep"] { border-left: 6px solid #b26a00; }
.px-review .px-cell[data-decision="exclude"] { border-left: 6px solid #8a1c1c; }
.px-review .px-cell .px-thumb { display: block; width: auto; height: auto; max-width: 100%; max-height: 100px; margin: 0 auto 2px; background: #000; border: 0; cursor: pointer; image-rendering: pixelated; }
.px-review .px-cell-title { font-weight: 600; overflow-wrap: anywhere; }
.px-review .px-cell-why { color: var(--px-muted); overflow: hidden; display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; }
.px-review .px-cell-decision { font-weight: 600; }
.px-review .px-detail { flex: 2 1 420px; min-width: 0; }
.px-review .px-group { border: 1px solid var(--px-line); border-radius: 8px; padding: 12px; }
.px-review .px-group[data-decision="clean"] { border-left: 6px solid #1e6b3a; }
.px-review .px-group[data-decision="keep"] { border-left: 6px solid #b26a00; }
.px-review .px-group[data-decision="exclude"] { border-left: 6px solid #8a1c1c; }
.px-review .px-group h4 { margin: 0 0 6px; font-size: 1em; }
.px-review dl.px-facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 6px 0; font-size: 0.9em; }
.px-review dl.px-facts dt { color: var(--px-muted); }
.px-review dl.px-facts dd { margin: 0; overflow-wrap: anywhere; }
.px-review .px-stage { margin: 8px 0; }
.px-review canvas { display: block; max-width: 100%; height: auto; background: #000; touch-action: none; cursor: crosshair; border: 1px solid var(--px-line); }
.px-review .px-stage canvas[data-fitted] { max-width: none; }
.px-review canvas.px-pixelated { image-rendering: pixelated; }
.px-review canvas:focus-visible { outline: 3px solid #f0a500; outline-offset: 2px; }
.px-review .px-row { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 6px 0; }
.px-review .px-legend { font-size: 0.85em; color: var(--px-muted); margin: 4px 0; }
.px-review .px-legend span { display: inline-block; width: 0.9em; height: 0.9em; vertical-align: -0.1em; margin: 0 4px 0 10px; border: 2px solid; }
.px-review .px-legend .k-mine { background: rgba(230, 40, 40, 0.35); border-color: #e62828; }
.px-review .px-legend .k-rule { background: rgba(40, 140, 255, 0.35); border-color: transparent; }
.px-review .px-legend .k-det { border-color: #ffd000; border-style: dashed; }
.px-review .px-status { font-weight: 600; margin: 6px 0 0; }
.px-review .px-error { color: var(--_error, #b3261e); font-weight: 600; }
.px-review .px-file { font-size: 0.88em; overflow-wrap: anywhere; }
.px-review .px-result { font-size: 0.9em; margin: 6px 0 0; }
.px-review .px-frames input[type=range] { flex: 1 1 200px; min-width: 120px; max-width: 420px; }
.px-review .px-frame-label { font-variant-numeric: tabular-nums; min-width: 8em; }
.px-review .px-text-frames { font-size: 0.9em; margin: 2px 0 6px; }
.px-review .px-text-frames[hidden], .px-review .px-frames[hidden] { display: none; }
.px-review .px-text-frames button { min-width: 2.2em; margin: 0 4px 0 0; padding: 1px 6px; min-height: 0; }
.px-review .px-text-frames button[aria-pressed="true"] { box-shadow: inset 0 0 0 2px var(--px-accent); font-weight: 600; }
.px-review .px-vh { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;

let sheet = null;

/** Adds the review's styles to a Document or a ShadowRoot (a constructed sheet: no inline style, fine under a strict CSP). */
export function adoptReviewStyles(root) {
  if (!('adoptedStyleSheets' in root) || typeof CSSStyleSheet !== 'function' || !('replaceSync' in CSSStyleSheet.prototype)) {
    if (root !== document && !root.querySelector('style[data-px]')) root.append(el('style', { 'data-px': '', text: REVIEW_CSS }));
    return;
  }
  if (!sheet) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(REVIEW_CSS);
  }
  if (!root.adoptedStyleSheets.includes(sheet)) root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
}

// ---------------------------------------------------------------- signatures and rules

/** Names of common SOP classes (PS3.4 B.5), for display. */
const SOP_NAMES = {
  '1.2.840.10008.5.1.4.1.1.6.1': 'US Image',
  '1.2.840.10008.5.1.4.1.1.3.1': 'US Multi-frame Image',
  '1.2.840.10008.5.1.4.1.1.7': 'Secondary Capture Image',
  '1.2.840.10008.5.1.4.1.1.7.1': 'Multi-frame Single Bit SC',
  '1.2.840.10008.5.1.4.1.1.7.2': 'Multi-frame Grayscale Byte SC',
  '1.2.840.10008.5.1.4.1.1.7.3': 'Multi-frame Grayscale Word SC',
  '1.2.840.10008.5.1.4.1.1.7.4': 'Multi-frame True Color SC',
  '1.2.840.10008.5.1.4.1.1.2': 'CT Image',
  '1.2.840.10008.5.1.4.1.1.2.1': 'Enhanced CT Image',
  '1.2.840.10008.5.1.4.1.1.4': 'MR Image',
  '1.2.840.10008.5.1.4.1.1.4.1': 'Enhanced MR Image',
  '1.2.840.10008.5.1.4.1.1.1': 'CR Image',
  '1.2.840.10008.5.1.4.1.1.1.1': 'Digital X-Ray Image',
  '1.2.840.10008.5.1.4.1.1.12.1': 'X-Ray Angiographic Image',
  '1.2.840.10008.5.1.4.1.1.12.2': 'X-Ray Radiofluoroscopic Image',
  '1.2.840.10008.5.1.4.1.1.77.1.1': 'VL Endoscopic Image',
  '1.2.840.10008.5.1.4.1.1.77.1.4': 'VL Photographic Image',
  '1.2.840.10008.5.1.4.1.1.104.1': 'Encapsulated PDF',
};

const sopName = (uid) => SOP_NAMES[uid] || uid || t('px.none');
const trimmed = (v) => String(v ?? '').trim();

/** The group a signature belongs to. */
function groupKey(s) {
  return JSON.stringify([s.modality, s.manufacturer, s.model, s.rows, s.columns, s.photometric, s.sop_class, s.image_type].map((v) => (typeof v === 'number' ? v : trimmed(v))));
}

/** The exact match on a group's signature (the keys of a pixel rule's [rule.match]). */
function exactMatch(s, withImageType) {
  const m = {
    Modality: trimmed(s.modality),
    Manufacturer: trimmed(s.manufacturer),
    ManufacturerModelName: trimmed(s.model),
    Rows: s.rows,
    Columns: s.columns,
    PhotometricInterpretation: trimmed(s.photometric),
    SOPClassUID: trimmed(s.sop_class),
  };
  if (withImageType) m.ImageType = trimmed(s.image_type);
  return m;
}

/** A decoded preview ({rgba, width, height}) as something drawImage takes: an ImageBitmap, else a canvas. */
async function drawable(p) {
  const data = new ImageData(p.rgba, p.width, p.height);
  try {
    return await createImageBitmap(data);
  } catch {
    const c = document.createElement('canvas');
    c.width = p.width;
    c.height = p.height;
    c.getContext('2d').putImageData(data, 0, 0);
    return c;
  }
}

// ---------------------------------------------------------------- the review

let uid = 0;

export class PixelReview {
  /**
   * Renders the review into `container` (an element of the page or of a shadow root; its
   * heading is the host's). `onChange()` is called when decisions change.
   */
  /** @param {HTMLElement} container @param {{ onChange?: () => void }} [hooks] */
  constructor(container, { onChange } = {}) {
    this.container = container;
    this.onChange = onChange || (() => {});
    this.id = `px${++uid}`;
    this.groups = [];
    this.loaded = []; // rules loaded from a file, kept after the groups' own
    this.controller = null;
    this.options = null;
    this.disabled = false;
    this.seq = 0;
    const root = container.getRootNode();
    adoptReviewStyles(root instanceof ShadowRoot ? root : document);
    container.classList.add('px-review');
    container.dataset.testid = 'pixel-review';
    container.dataset.state = 'idle';
    const inputId = `${this.id}-rules-input`;
    this.status = el('p', { class: 'px-summary', 'aria-live': 'polite' });
    this.statusLine = ['px.intro', {}];
    this.messageLine = null;
    this.lastResult = null;
    this.download = el('button', { type: 'button', 'data-testid': 'pixel-rules-download', disabled: '', 'data-i18n': 'px.download' });
    this.input = el('input', { type: 'file', id: inputId, 'data-testid': 'pixel-rules-input', accept: '.toml,.json,application/json,application/toml,text/plain' });
    this.message = el('p', { class: 'px-message', role: 'status' });
    this.current = 0; // the selected group (shown in the detail pane)
    this.tasks = []; // decodes waiting for the helper worker (one at a time; the selected group's first)
    this.pumping = false;
    this.busy = false; // a bulk decision is under way
    this.recent = []; // groups whose decoded image is kept (the last few shown)
    this.observer = null;
    this.timing = null;
    this.undecidedLine = el('p', { class: 'px-undecided', 'data-testid': 'pixel-undecided' });
    const bulk = (kind) => {
      const b = el('button', { type: 'button', 'data-testid': `pixel-bulk-${kind}`, 'data-i18n': `px.bulk-${kind}` });
      b.addEventListener('click', () => this.#bulk(kind));
      return b;
    };
    this.bulkButtons = [bulk('exclude'), bulk('clean'), bulk('keep')];
    this.bar = el('div', { class: 'px-bar', hidden: '' },
      this.undecidedLine,
      el('div', { class: 'px-row', role: 'group', 'data-i18n-attr': 'aria-label:px.bulk-label', 'aria-label': t('px.bulk-label') }, ...this.bulkButtons));
    this.grid = el('div', { class: 'px-grid', role: 'listbox', 'data-testid': 'pixel-grid', 'data-i18n-attr': 'aria-label:px.grid-label', 'aria-label': t('px.grid-label') });
    this.detail = el('div', { class: 'px-detail', 'data-testid': 'pixel-detail' });
    this.grid.setAttribute('aria-describedby', `${this.id}-grid-help`);
    this.layout = el('div', { class: 'px-layout', hidden: '' },
      el('div', { class: 'px-side' }, el('p', { id: `${this.id}-grid-help`, class: 'px-legend', 'data-i18n': 'px.grid-help' }), this.grid),
      this.detail);
    container.append(
      this.status,
      el('div', { class: 'px-tools' },
        this.download,
        el('label', { for: inputId, 'data-i18n': 'px.load' }),
        this.input),
      this.message,
      this.bar,
      this.layout,
    );
    translate(container);
    this.#say('px.intro');
    this.download.addEventListener('click', () => this.#downloadRules());
    this.input.addEventListener('change', () => this.#loadRules());
    this.grid.addEventListener('keydown', (e) => this.#gridKey(e));
    if (typeof ResizeObserver === 'function') new ResizeObserver(() => this.#fit(this.groups[this.current])).observe(this.detail);
  }

  // ------------------------------------------------------------ public

  /** The status line: message `key` with `params` (kept for a language switch). */
  #say(key, params = {}) {
    this.statusLine = [key, params];
    this.status.textContent = t(key, params);
  }

  /** The message line under the tools: message `key` with `params`, or nothing. */
  #tell(key, params = {}) {
    this.messageLine = key ? [key, params] : null;
    this.message.textContent = key ? t(key, params) : '';
  }

  /** Every text again, in the language just chosen (decisions, rectangles and previews kept). */
  relabel() {
    translate(this.container);
    this.#say(...this.statusLine);
    if (this.messageLine) this.#tell(...this.messageLine);
    this.#render();
    this.#changed();
  }

  /** Forgets the selection (decisions of loaded rules are kept for the next one). */
  clear() {
    if (this.controller) this.controller.abort();
    this.controller = null;
    this.seq++;
    this.tasks = [];
    this.#forget();
    this.groups = [];
    this.#render();
    this.container.dataset.state = 'idle';
    this.#say('px.none-chosen');
    this.#changed();
  }

  /**
   * Reads the headers of the selection and lists what the gate flags. `options`: the job's
   * options without the review's rules (to name the rule that already matches each group).
   * Decisions of groups with the same signature as before are kept.
   */
  /** @param {import('../dicom-deid.js').Selection} selection @param {{ options?: import('../dicom-deid.js').DeidOptions }} [opts] */
  async review(selection, { options } = {}) {
    if (this.controller) this.controller.abort();
    const controller = new AbortController();
    this.controller = controller;
    this.options = options;
    const seq = ++this.seq;
    const t0 = performance.now();
    this.tasks = [];
    const previous = new Map(this.groups.map((g) => [g.key, g]));
    const selectedKey = this.groups[this.current] ? this.groups[this.current].key : null;
    this.container.dataset.state = 'scanning';
    this.#say('px.scanning');
    let flagged;
    try {
      flagged = await scanPixelGate(selection, {
        signal: controller.signal,
        onProgress: ({ done, total }) => {
          if (seq === this.seq && (done % 50 === 0 || done === total)) this.#say('px.scanning-n', { done, files: count(total, 'n.files') });
        },
      });
    } catch (e) {
      if (seq !== this.seq || controller.signal.aborted) return;
      this.container.dataset.state = 'error';
      this.#say('px.scan-error', { message: messageOf(e) });
      return;
    }
    if (seq !== this.seq) return;
    this.controller = null;
    const t1 = performance.now();
    const byKey = new Map();
    for (const f of flagged) {
      const key = groupKey(f.signature);
      if (!byKey.has(key)) byKey.set(key, { key, signature: f.signature, files: [], classes: new Set(), reasons: new Set() });
      const g = byKey.get(key);
      g.files.push(f.item);
      g.classes.add(f.gate.class);
      for (const r of f.gate.reasons) g.reasons.add(r);
    }
    const groups = [...byKey.values()].sort((a, b) => b.files.length - a.files.length || (a.key < b.key ? -1 : 1));
    // Groups that differ only in Image Type need it in their rules' match.
    const sameButType = new Map();
    for (const g of groups) {
      const k = JSON.stringify(exactMatch(g.signature, false));
      sameButType.set(k, (sameButType.get(k) || 0) + 1);
    }
    this.#forget(); // the previous groups' decoded images
    this.groups = groups.map((g, i) => {
      const old = previous.get(g.key);
      const group = {
        ...g,
        index: i,
        withImageType: sameButType.get(JSON.stringify(exactMatch(g.signature, false))) > 1,
        decision: old ? old.decision : null,
        decisionFrom: old ? old.decisionFrom : null,
        rects: old ? old.rects.map((r) => [...r]) : [],
        selected: old ? old.selected : -1,
        shown: 0,
        frame: 0, // the frame chosen of the shown file (0-based)
        preview: null,
        image: null,
        imageOf: -1,
        imageFrame: -1,
        scan: null, // the detector on every frame of the shown file: {k, n, seen: Map frame → boxes (-1: cannot decode), busy}
        first: null,
        thumbPromise: null,
        thumbQueued: false,
        result: null,
        rule: null,
      };
      if (!old) this.#applyLoaded(group);
      return group;
    });
    const again = this.groups.findIndex((g) => g.key === selectedKey);
    this.current = Math.max(0, again);
    this.lastResult = null;
    this.#render();
    this.container.dataset.state = 'ready';
    this.#changed();
    // Thumbnails: the first cells now, the others as they scroll into view (#render's observer).
    for (const g of this.groups.slice(0, 24)) this.#wantThumb(g);
    // The time from the selection listed (this call) to the grid shown: the header scan, then
    // grouping and the grid's elements, until the next frame is painted.
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    if (seq !== this.seq) return;
    const t2 = performance.now();
    this.timing = { scanMs: Math.round(t1 - t0), gridMs: Math.round(t2 - t1), totalMs: Math.round(t2 - t0) };
    this.container.dataset.scanMs = String(this.timing.scanMs);
    this.container.dataset.gridMs = String(this.timing.gridMs);
    this.container.dataset.shownMs = String(this.timing.totalMs);
    this.#pump();
  }

  /** Releases the decoded images kept for the groups of the previous selection. */
  #forget() {
    for (const g of this.groups) {
      if (g.image && g.image.close) g.image.close();
      g.image = null;
      g.node = null;
      g.canvas = null;
    }
    this.recent = [];
    if (this.observer) this.observer.disconnect();
  }

  /** The decisions as pixel rules (each group's own, then the rules loaded from a file). */
  rules() {
    const out = [];
    const names = new Set();
    for (const g of this.groups) {
      const rule = this.#groupRule(g);
      if (!rule) continue;
      let name = rule.name;
      for (let n = 2; names.has(name); n++) name = `${rule.name} #${n}`;
      names.add(name);
      out.push({ ...rule, name });
    }
    // A rule loaded from a file and the group decision made from it are the same rule, whatever
    // the order of their keys (a rules file read back by the engine lists them in its own order).
    const same = (a, b) => canonical(a) === canonical(b);
    for (const r of this.loaded) if (!out.some((o) => same(o, r))) out.push(r);
    return out;
  }

  /** `options` (an object) with the review's rules in front of its own pixel_rules. */
  withRules(options) {
    const rules = this.rules();
    if (!rules.length) return options;
    return { ...options, pixel_rules: [...rules, ...((options && options.pixel_rules) || [])] };
  }

  /** Disables the controls (while a run goes on). */
  setDisabled(on) {
    this.disabled = on;
    for (const b of /** @type {NodeListOf<HTMLButtonElement | HTMLInputElement>} */ (this.container.querySelectorAll('button, input'))) b.disabled = on || (b === this.download && !this.rules().length) || b.dataset.off === '1';
  }

  /**
   * After a run: per group, how many files were cleaned, kept, held or excluded (from the
   * result's log rows), and the held files with their reasons.
   */
  showResult(result) {
    this.lastResult = result;
    const byPath = new Map();
    for (const r of result.problems || []) byPath.set(r.source_path, r);
    for (const r of result.cleaned || []) byPath.set(r.source_path, r);
    for (const g of this.groups) {
      const counts = { cleaned: 0, held: 0, excluded: 0, other: 0 };
      const held = [];
      for (const f of g.files) {
        const r = byPath.get(f.path);
        if (!r) counts.other++;
        else if (r.outcome === 'written') counts.cleaned++;
        else if (r.outcome === 'held') {
          counts.held++;
          held.push(r);
        } else if (r.outcome === 'excluded') counts.excluded++;
        else counts.other++;
      }
      g.result = { counts, held };
      this.#renderResult(g);
    }
  }

  #renderResult(g) {
    if (!g.result) return;
    const { counts, held } = g.result;
    if (g.cell) for (const [k, v] of Object.entries(counts)) g.cell.dataset[k] = String(v);
    if (!g.node) return;
    const box = g.node.querySelector('.px-result');
    box.replaceChildren(el('span', { text: t('px.last-run', counts) }));
    for (const [k, v] of Object.entries(counts)) box.dataset[k] = String(v);
    if (held.length) {
      box.append(el('ul', {}, ...held.slice(0, 50).map((r) => el('li', {}, el('code', { text: r.source_path }), t('px.held', { reason: r.reason })))));
    }
  }

  // ------------------------------------------------------------ decisions and rules

  #groupRule(g) {
    if (!g.decision) return null;
    const s = g.signature;
    const what = [trimmed(s.modality) || 'no modality', trimmed(s.manufacturer), trimmed(s.model), `${s.columns}x${s.rows}`, trimmed(s.photometric), sopName(trimmed(s.sop_class))];
    if (g.withImageType) what.push(trimmed(s.image_type));
    const name = g.decisionFrom || `Review: ${what.filter(Boolean).join(' ')}`;
    const rule = { name, action: g.decision };
    if (g.decision === 'clean') {
      const regions = clipRegions(g.rects, s.columns || 65535, s.rows || 65535);
      if (!regions.length) return null;
      rule.regions = regions;
    }
    rule.match = exactMatch(s, g.withImageType);
    return rule;
  }

  /** Takes a group's decision from the loaded rules (the first that matches). */
  #applyLoaded(g) {
    const rule = firstMatchingRule(this.loaded, g.signature);
    if (!rule) return false;
    g.decision = rule.action;
    g.decisionFrom = rule.name;
    g.rects = rule.action === 'clean' ? (rule.regions || []).map((r) => [...r]) : [];
    g.selected = g.rects.length ? 0 : -1;
    return true;
  }

  #decide(g, decision) {
    this.#tell(null);
    if (decision === 'clean' && !clipRegions(g.rects, g.signature.columns || 65535, g.signature.rows || 65535).length) {
      this.#groupMessage(g, t('px.need-rect'), true);
      return;
    }
    g.decision = decision;
    g.decisionFrom = null;
    this.#groupMessage(g, '');
    this.#updateGroup(g);
    this.#changed();
  }

  #changed() {
    const decided = this.groups.filter((g) => this.#groupRule(g)).length;
    this.download.disabled = this.disabled || !this.rules().length;
    this.container.dataset.decided = String(decided);
    // The undecided images, always in sight (the bar is sticky).
    const open = this.groups.filter((g) => !this.#groupRule(g));
    const images = open.reduce((s, g) => s + g.files.length, 0);
    this.container.dataset.undecided = String(images);
    this.undecidedLine.dataset.undecided = String(images);
    this.undecidedLine.textContent = images
      ? t('px.undecided-count', { images: count(images, 'n.images'), groups: count(open.length, 'n.groups') })
      : t('px.undecided-zero');
    for (const b of this.bulkButtons) {
      b.dataset.off = this.busy || !open.length ? '1' : '0';
      b.disabled = this.disabled || b.dataset.off === '1';
    }
    if (['ready', 'previewed'].includes(this.container.dataset.state)) {
      const n = this.groups.length;
      const files = this.groups.reduce((s, g) => s + g.files.length, 0);
      if (n) this.#say('px.summary', { images: count(files, 'n.images'), groups: count(n, 'n.groups'), decided });
      else this.#say('px.summary-none');
    }
    this.onChange();
  }

  /**
   * A decision for many groups at once, each recorded as if decided on its own (a rule per group,
   * in the run and the rules file). Only undecided groups change:
   * exclude: every one; clean: those whose matching rule (of the options) has regions, with those
   * regions; keep (accepted risk): those where the detector finds no text in the first frame of
   * any of their images (single-frame images only; every file is decoded to check).
   */
  async #bulk(kind) {
    if (this.busy || this.disabled) return;
    const seq = this.seq;
    const todo = this.groups.filter((g) => !this.#groupRule(g));
    this.busy = true;
    this.container.dataset.bulk = 'running';
    this.#changed();
    const done = [];
    try {
      for (const [i, g] of todo.entries()) {
        if (seq !== this.seq) return;
        if (kind !== 'exclude') this.#tell('px.bulk-checking', { done: i, groups: count(todo.length, 'n.groups') });
        if (kind === 'exclude') {
          done.push(g);
        } else if (kind === 'clean') {
          const meta = await this.#loadThumb(g);
          if (meta && meta.info.rule_regions.length) {
            const regions = clipRegions(meta.info.rule_regions, g.signature.columns || 65535, g.signature.rows || 65535);
            if (regions.length) {
              g.rects = regions;
              g.selected = 0;
              done.push(g);
            }
          }
        } else if (await this.#noTextFound(g, seq)) {
          done.push(g);
        }
      }
    } finally {
      this.busy = false;
      this.container.dataset.bulk = 'done';
    }
    if (seq !== this.seq) return;
    for (const g of done) {
      if (this.#groupRule(g)) continue; // decided meanwhile
      g.decision = kind;
      g.decisionFrom = null;
      this.#updateGroup(g);
      if (g.node) this.#draw(g);
    }
    const images = done.reduce((s, g) => s + g.files.length, 0);
    this.#tell(`px.bulk-done-${kind}`, { groups: count(done.length, 'n.groups'), images: count(images, 'n.images') });
    this.#changed();
  }

  /** Whether the detector finds no text in any file of `g` (first frame; single-frame files; decodable). */
  async #noTextFound(g, seq) {
    for (let k = 0; k < g.files.length; k++) {
      let meta;
      if (k === 0) {
        meta = await this.#loadThumb(g);
      } else {
        try {
          const p = await pixelPreview(g.files[k], { frame: 0, options: this.options });
          meta = { frames: p.frames, info: p.info };
        } catch {
          meta = null;
        }
      }
      if (seq !== this.seq || !meta || meta.frames > 1 || meta.info.detected.length) return false;
    }
    return true;
  }

  async #downloadRules() {
    this.#tell(null);
    try {
      const toml = await pixelRulesToml(this.rules());
      saveBlob(new Blob([toml], { type: 'application/toml' }), 'pixel-rules.toml');
    } catch (e) {
      this.#tell('set.file-error', { name: 'pixel-rules.toml', message: messageOf(e) });
    }
  }

  async #loadRules() {
    const file = this.input.files[0];
    this.input.value = '';
    if (!file) return;
    let rules;
    try {
      rules = await parsePixelRules(file);
    } catch (e) {
      this.#tell('px.rules-error', { name: file.name, message: messageOf(e) });
      return;
    }
    this.loaded = rules;
    let applied = 0;
    for (const g of this.groups) {
      if (this.#applyLoaded(g)) {
        applied++;
        this.#updateGroup(g);
        this.#draw(g);
      }
    }
    this.#tell('px.rules-loaded', { name: file.name, rules: count(rules.length, 'n.rules'), groups: count(applied, 'n.groups') });
    this.#changed();
  }

  // ------------------------------------------------------------ rendering

  /** The grid of groups (one cell each) and the detail pane of the selected group. */
  #render() {
    if (this.observer) this.observer.disconnect();
    this.observer = typeof IntersectionObserver === 'function'
      ? new IntersectionObserver((entries) => {
        for (const e of entries) if (e.isIntersecting) this.#wantThumb(this.groups[Number(/** @type {HTMLElement} */ (e.target).dataset.index)]);
      }, { rootMargin: '200px' })
      : null;
    this.grid.replaceChildren(...this.groups.map((g) => this.#cellNode(g)));
    if (this.observer) for (const g of this.groups) this.observer.observe(g.cell);
    this.layout.hidden = !this.groups.length;
    this.bar.hidden = !this.groups.length;
    if (this.groups.length) {
      this.current = Math.min(this.current, this.groups.length - 1);
      this.#showDetail(this.groups[this.current], true);
    } else {
      this.detail.replaceChildren();
    }
    this.setDisabled(this.disabled);
  }

  #title(g) {
    const s = g.signature;
    return `${trimmed(s.modality) || t('px.no-modality')} · ${trimmed(s.manufacturer) || t('px.no-manufacturer')}${trimmed(s.model) ? ` ${trimmed(s.model)}` : ''} · ${s.columns}×${s.rows} · ${trimmed(s.photometric) || '?'}`;
  }

  #why(g) {
    return [...g.reasons].join('; ') || t(g.classes.has('carrier') ? 'px.carrier' : 'px.may-show');
  }

  /** A cell of the grid: thumbnail, title, image count, reasons, decision (an option of the listbox). */
  #cellNode(g) {
    if (!g.thumb) g.thumb = el('canvas', { class: 'px-thumb', width: '1', height: '1', 'aria-hidden': 'true', 'data-testid': 'pixel-thumb' });
    const selected = g.index === this.current;
    const cell = el('div', {
      class: 'px-cell', role: 'option', id: `${this.id}-c${g.index}`, tabindex: selected ? '0' : '-1', 'aria-selected': String(selected),
      'data-testid': 'pixel-cell', 'data-index': String(g.index), 'data-count': String(g.files.length), 'data-key': g.key,
      'data-thumb': g.first ? 'drawn' : g.thumbError ? 'error' : 'none',
    },
    g.thumb,
    el('span', { class: 'px-cell-title', text: this.#title(g) }),
    el('span', { class: 'px-cell-count', text: count(g.files.length, 'n.images') }),
    el('span', { class: 'px-cell-why', text: this.#why(g) }),
    el('span', { class: 'px-cell-decision' }));
    if (g.first) cell.dataset.detected = String(g.first.info.detected.length);
    g.cell = cell;
    cell.addEventListener('click', () => this.#select(g.index, true));
    this.#updateCell(g);
    this.#renderResult(g);
    return cell;
  }

  #updateCell(g) {
    if (!g.cell) return;
    const decided = !!this.#groupRule(g);
    g.cell.dataset.decision = decided ? g.decision : 'none';
    g.cell.querySelector('.px-cell-decision').textContent = t(decided ? `px.cell-${g.decision}` : 'px.cell-none');
  }

  /** Arrow keys move the selection (and the detail with it), Home/End, Enter opens the detail. */
  #gridKey(e) {
    const cell = /** @type {HTMLElement} */ (e.target).closest('.px-cell');
    if (!cell || !this.groups.length) return;
    const n = this.groups.length;
    const cells = this.groups.map((g) => g.cell);
    const top = cells[0].offsetTop;
    let cols = cells.findIndex((c) => c.offsetTop !== top);
    if (cols <= 0) cols = n;
    const i = this.current;
    const to = { ArrowRight: i + 1, ArrowLeft: i - 1, ArrowDown: i + cols, ArrowUp: i - cols, Home: 0, End: n - 1, PageDown: i + 3 * cols, PageUp: i - 3 * cols }[e.key];
    if (to !== undefined) {
      e.preventDefault();
      this.#select(Math.max(0, Math.min(n - 1, to)), true);
    } else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      this.#select(i, false);
      const g = this.groups[i];
      if (e.key === 'Enter' && g.canvas) {
        g.canvas.scrollIntoView({ block: 'nearest' });
        g.canvas.focus();
      }
    }
  }

  /** Selects group `i` (its cell; the detail pane shows it); `focus`: moves the focus to its cell. */
  #select(i, focus) {
    const before = this.groups[this.current];
    const g = this.groups[i];
    if (!g) return;
    this.current = i;
    if (before && before.cell && before !== g) {
      before.cell.setAttribute('aria-selected', 'false');
      before.cell.tabIndex = -1;
    }
    g.cell.setAttribute('aria-selected', 'true');
    g.cell.tabIndex = 0;
    if (focus) {
      g.cell.focus({ preventScroll: true });
      g.cell.scrollIntoView({ block: 'nearest' });
    }
    this.#showDetail(g, false);
  }

  /** The detail pane: the editor of group `g` (built anew when the group changes, or `force`). */
  #showDetail(g, force) {
    if (!force && g.node && g.node.parentNode === this.detail) return;
    for (const o of this.groups) {
      if (o !== g) {
        o.node = null;
        o.canvas = null;
      }
    }
    const node = this.#groupNode(g);
    this.detail.replaceChildren(node);
    if (g.preview && this.#hasImage(g)) {
      g.canvas.width = g.preview.width;
      g.canvas.height = g.preview.height;
      node.dataset.preview = 'drawn';
    } else {
      this.#wantDetail(g);
    }
    this.#fit(g);
    this.#showRule(g);
    this.#draw(g);
    this.#scanFrames(g);
    this.#renderResult(g);
    this.setDisabled(this.disabled);
  }

  /** Sizes the detail canvas: tiny images scaled up by a whole factor (pixelated), large ones fitted to the pane. */
  #fit(g) {
    const c = g && g.canvas;
    if (!c) return;
    const avail = Math.max(160, this.detail.clientWidth - 30);
    const maxH = Math.max(240, Math.round((globalThis.innerHeight || 800) * 0.6));
    let k = Math.min(avail / c.width, maxH / c.height);
    if (k >= 1) k = Math.max(1, Math.floor(k));
    c.style.width = `${Math.max(1, Math.round(c.width * k))}px`;
    c.style.height = `${Math.max(1, Math.round(c.height * k))}px`;
    c.dataset.fitted = k.toFixed(3);
    c.classList.toggle('px-pixelated', k > 1);
  }

  // ------------------------------------------------------------ decoding (one at a time, the selected group first)

  #enqueue(task, first = false) {
    if (first) this.tasks.unshift(task);
    else this.tasks.push(task);
    this.#pump();
  }

  async #pump() {
    if (this.pumping) return;
    this.pumping = true;
    const seq = this.seq;
    while (this.tasks.length && seq === this.seq) {
      const task = this.tasks.shift();
      try {
        await task();
      } catch (e) {
        console.warn('pixel preview failed', e);
      }
    }
    this.pumping = false;
    if (this.tasks.length) {
      this.#pump();
      return;
    }
    if (seq === this.seq && this.container.dataset.state === 'ready') this.container.dataset.state = 'previewed';
  }

  /** Queues the thumbnail of `g` (its first file) once. */
  #wantThumb(g) {
    if (!g || g.thumbQueued || g.thumbPromise) return;
    g.thumbQueued = true;
    const seq = this.seq;
    this.#enqueue(() => (seq === this.seq ? this.#loadThumb(g) : null));
  }

  /** The first file's preview (thumbnail and facts), decoded once: resolves to {width, height, frames, info} or null. */
  #loadThumb(g) {
    if (!g.thumbPromise) g.thumbPromise = this.#decode(g, 0, true);
    return g.thumbPromise;
  }

  /** Queues the shown file of the selected group `g` for the detail pane, before the thumbnails. */
  #wantDetail(g) {
    const k = g.shown;
    const f = g.frame;
    this.#enqueue(async () => {
      if (!this.#isShown(g, k, f) || this.#hasImage(g, k, f)) return;
      if (k === 0 && f === 0 && !g.thumbPromise) {
        await this.#loadThumb(g);
        return;
      }
      if (k === 0 && !g.first && g.thumbPromise) await g.thumbPromise;
      if (this.#isShown(g, k, f) && !this.#hasImage(g, k, f)) await this.#decode(g, k, false, f);
    }, true);
  }

  /** `g` is the selected group, showing frame `f` of its file `k`. */
  #isShown(g, k, f = 0) {
    return this.groups[this.current] === g && !!g.node && g.shown === k && g.frame === f;
  }

  /** Frame `f` of file `k` of `g` is decoded and held. */
  #hasImage(g, k = g.shown, f = g.frame) {
    return !!g.image && g.imageOf === k && g.imageFrame === f;
  }

  /** Decodes frame `frame` of file `k` of `g` in the helper worker; `thumb`: draws the group's thumbnail. */
  async #decode(g, k, thumb, frame = 0) {
    const seq = this.seq;
    const item = g.files[k];
    let p;
    try {
      p = await pixelPreview(item, { frame, options: this.options });
    } catch (e) {
      if (seq !== this.seq) return null;
      if (thumb) {
        g.thumbError = messageOf(e);
        if (g.cell) g.cell.dataset.thumb = 'error';
      }
      if (this.#isShown(g, k, frame)) {
        g.preview = null;
        g.previewError = messageOf(e);
        this.#showRule(g);
        this.#draw(g);
      }
      return null;
    }
    if (seq !== this.seq) return null;
    const meta = { width: p.width, height: p.height, frames: p.frames, frame: p.frame, info: p.info };
    const image = await drawable(p);
    if (thumb) {
      g.first = meta;
      this.#drawThumb(g, image, meta);
    }
    if (this.#isShown(g, k, frame)) this.#setPreview(g, k, meta, image);
    else if ('close' in image) image.close();
    return meta;
  }

  #drawThumb(g, image, meta) {
    const c = g.thumb;
    let k = Math.min(160 / meta.width, 100 / meta.height);
    if (k >= 1) k = Math.max(1, Math.floor(k));
    c.width = Math.max(1, Math.round(meta.width * k));
    c.height = Math.max(1, Math.round(meta.height * k));
    const ctx = c.getContext('2d');
    ctx.imageSmoothingEnabled = k < 1;
    ctx.drawImage(image, 0, 0, c.width, c.height);
    ctx.fillStyle = 'rgba(40, 140, 255, 0.35)';
    for (const [x, y, w, h] of meta.info.rule_regions) ctx.fillRect(x * k, y * k, w * k, h * k);
    ctx.strokeStyle = '#ffd000';
    ctx.lineWidth = 1;
    for (const [x, y, w, h] of meta.info.detected) ctx.strokeRect(x * k + 0.5, y * k + 0.5, Math.max(1, w * k - 1), Math.max(1, h * k - 1));
    if (g.cell) {
      g.cell.dataset.thumb = 'drawn';
      g.cell.dataset.detected = String(meta.info.detected.length);
    }
  }

  /** Shows a decoded file in the detail pane (the last few groups' images are kept). */
  #setPreview(g, k, meta, image) {
    if (g.image && g.image !== image && 'close' in g.image) g.image.close();
    g.preview = meta;
    g.previewError = null;
    g.image = image;
    g.imageOf = k;
    g.imageFrame = meta.frame;
    this.recent = [g, ...this.recent.filter((o) => o !== g)];
    for (const o of this.recent.splice(4)) {
      if (o.image && o !== this.groups[this.current] && 'close' in o.image) o.image.close();
      if (o !== this.groups[this.current]) {
        o.image = null;
        o.imageOf = -1;
        o.imageFrame = -1;
      }
    }
    this.#groupMessage(g, '');
    if (g.canvas.width !== meta.width || g.canvas.height !== meta.height) {
      g.canvas.width = meta.width;
      g.canvas.height = meta.height;
      this.#fit(g);
    }
    this.#showRule(g);
    this.#draw(g);
    this.#updateGroup(g);
    if (meta.frames > 1) {
      if (!g.scan || g.scan.k !== k) g.scan = { k, n: meta.frames, seen: new Map(), busy: false };
      g.scan.seen.set(meta.frame, meta.info.detected.length);
    }
    this.#updateFrames(g);
    this.#scanFrames(g);
  }

  // ------------------------------------------------------------ frames of a multi-frame image

  /** Shows frame `f` (0-based) of the shown file of `g`: decoded in the worker, drawn when ready. */
  #goFrame(g, f) {
    const n = this.#frameCount(g);
    f = Math.max(0, Math.min(n - 1, f));
    if (f === g.frame) return;
    g.frame = f;
    this.#updateFrames(g);
    this.#wantDetail(g);
  }

  /** Frames in the shown file of `g` (1 until it is decoded). */
  #frameCount(g) {
    return g.preview && g.imageOf === g.shown ? Math.max(1, g.preview.frames) : 1;
  }

  /**
   * Runs the detector on every frame of the shown file of `g` (g.scan, begun when one of its
   * frames is shown), one frame a task after the other decodes; stops when another group or file
   * is shown, and goes on when it is shown again.
   */
  #scanFrames(g) {
    const s = g.scan;
    if (!s || s.k !== g.shown) return;
    const { k, n } = s;
    if (s.busy || s.seen.size >= n) return;
    s.busy = true;
    const seq = this.seq;
    const step = async () => {
      let f = 0;
      while (s.seen.has(f)) f++;
      if (seq !== this.seq || g.scan !== s || this.groups[this.current] !== g || g.shown !== k || f >= n) {
        s.busy = false;
        return;
      }
      try {
        const p = await pixelPreview(g.files[k], { frame: f, options: this.options });
        s.seen.set(f, p.info.detected.length);
      } catch {
        s.seen.set(f, -1);
      }
      if (seq !== this.seq) return;
      this.#updateFrames(g);
      if (s.seen.size < n) this.#enqueue(step);
      else s.busy = false;
    };
    this.#enqueue(step);
  }

  /** The frame slider, its label and the frames with text (of the shown file). */
  #updateFrames(g) {
    const node = g.node;
    if (!node) return;
    const n = this.#frameCount(g);
    const row = node.querySelector('.px-frames');
    row.hidden = n < 2;
    const slider = /** @type {HTMLInputElement} */ (node.querySelector('.px-frame'));
    slider.max = String(n);
    slider.value = String(g.frame + 1);
    slider.setAttribute('aria-valuetext', t('px.frame-value', { k: g.frame + 1, n }));
    node.querySelector('.px-frame-label').textContent = t('px.frame', { k: g.frame + 1, n });
    const box = /** @type {HTMLElement} */ (node.querySelector('.px-text-frames'));
    const s = g.scan && g.scan.k === g.shown ? g.scan : null;
    if (n < 2 || !s) {
      box.hidden = true;
      return;
    }
    box.hidden = false;
    const hits = [...s.seen].filter(([, c]) => c > 0).map(([f]) => f).sort((a, b) => a - b);
    const key = hits.join(',');
    const list = node.querySelector('.px-tf-list');
    if (box.dataset.key !== key) {
      // Rebuilt only when the list changes (a focused button keeps its focus).
      box.dataset.key = key;
      box.dataset.frames = hits.map((f) => f + 1).join(',');
      list.replaceChildren(...hits.map((f) => {
        const b = el('button', { type: 'button', 'data-frame': String(f + 1), 'aria-label': t('px.text-frame-go', { k: f + 1 }) }, String(f + 1));
        b.disabled = this.disabled;
        b.addEventListener('click', () => this.#goFrame(g, f));
        return b;
      }));
      const ticks = node.querySelector('datalist');
      ticks.replaceChildren(...hits.map((f) => el('option', { value: String(f + 1) })));
    }
    for (const b of list.querySelectorAll('button')) b.setAttribute('aria-pressed', String(Number(b.dataset.frame) === g.frame + 1));
    const done = s.seen.size >= n;
    box.dataset.state = done ? 'done' : 'checking';
    node.querySelector('.px-tf-label').hidden = !hits.length;
    node.querySelector('.px-tf-status').textContent = !done
      ? t('px.text-frames-checking', { k: s.seen.size, n })
      : hits.length ? '' : t('px.text-frames-none', { n });
  }

  #groupNode(g) {
    const s = g.signature;
    const gid = `${this.id}-g${g.index}`;
    const title = this.#title(g);
    const fact = (k, v) => [el('dt', { text: k }), el('dd', { text: v })];
    const canvas = el('canvas', {
      'data-testid': 'pixel-preview', width: String(s.columns || 1), height: String(s.rows || 1), tabindex: '0', role: 'application',
      'aria-roledescription': t('px.canvas-role'),
      'aria-label': t('px.canvas', { title }),
      'aria-describedby': `${gid}-help ${gid}-rects`,
    });
    const btn = (label, testid, attrs = {}) => el('button', { type: 'button', ...(testid ? { 'data-testid': testid } : {}), ...attrs }, label);
    const frameId = `${gid}-frame`;
    const slider = el('input', {
      type: 'range', id: frameId, class: 'px-frame', 'data-testid': 'pixel-frame', min: '1', max: '1', step: '1', value: '1', list: `${gid}-ticks`,
    });
    const prev = btn(t('px.prev-file'), null, { class: 'px-prev' });
    const next = btn(t('px.next-file'), null, { class: 'px-next' });
    const node = el('article', { class: 'px-group', 'data-testid': 'pixel-group', 'data-count': String(g.files.length), 'data-key': g.key, 'aria-labelledby': `${gid}-h` },
      el('h4', { id: `${gid}-h`, text: `${title} (${count(g.files.length, 'n.files')})` }),
      el('dl', { class: 'px-facts' },
        ...fact(t('px.fact-sop'), `${sopName(trimmed(s.sop_class))}${SOP_NAMES[trimmed(s.sop_class)] ? ` (${trimmed(s.sop_class)})` : ''}`),
        ...fact(t('px.fact-type'), trimmed(s.image_type) || t('px.none')),
        ...fact(t('px.fact-why'), this.#why(g)),
        ...fact(t('px.fact-undecided'), t(g.classes.has('carrier') ? 'px.undecided-carrier' : 'px.undecided-possible')),
        el('dt', { text: t('px.fact-rule') }), el('dd', { class: 'px-rule', text: '…' })),
      el('div', { class: 'px-stage' }, canvas),
      el('div', { class: 'px-row px-frames', hidden: '' },
        el('label', { for: frameId, class: 'px-frame-label', 'data-testid': 'pixel-frame-label' }),
        slider,
        el('datalist', { id: `${gid}-ticks` })),
      el('div', { class: 'px-text-frames', 'data-testid': 'pixel-text-frames', role: 'group', 'aria-labelledby': `${gid}-tf`, hidden: '' },
        el('span', { id: `${gid}-tf`, class: 'px-tf-label', text: t('px.text-frames') }), ' ',
        el('span', { class: 'px-tf-list' }),
        el('span', { class: 'px-tf-status' })),
      el('p', { class: 'px-legend' }, el('span', { class: 'k-mine', 'aria-hidden': 'true' }), t('px.legend-mine'), el('span', { class: 'k-rule', 'aria-hidden': 'true' }), t('px.legend-rule'), el('span', { class: 'k-det', 'aria-hidden': 'true' }), t('px.legend-det')),
      el('p', { class: 'px-file' }),
      el('div', { class: 'px-row' }, prev, next,
        btn(t('px.add'), null, { class: 'px-add' }),
        btn(t('px.use-detected'), null, { class: 'px-detected' }),
        btn(t('px.remove'), null, { class: 'px-remove' })),
      el('p', { id: `${gid}-help`, class: 'px-legend', text: t('px.help') }),
      el('p', { id: `${gid}-rects`, class: 'px-legend px-rects', 'aria-live': 'polite' }),
      el('div', { class: 'px-row', role: 'group', 'aria-label': t('px.decision-for', { title }) },
        btn(t('px.clean'), 'pixel-clean', { class: 'primary' }),
        btn(t('px.keep'), 'pixel-keep'),
        btn(t('px.exclude'), 'pixel-exclude'),
        btn(t('px.undo'), null, { class: 'px-undo link' })),
      el('p', { class: 'px-status', 'aria-live': 'polite' }),
      el('p', { class: 'px-error', role: 'alert', hidden: '' }),
      el('div', { class: 'px-result', 'aria-live': 'polite' }));
    g.node = node;
    g.canvas = canvas;
    node.querySelector('[data-testid=pixel-clean]').addEventListener('click', () => this.#decide(g, 'clean'));
    node.querySelector('[data-testid=pixel-keep]').addEventListener('click', () => this.#decide(g, 'keep'));
    node.querySelector('[data-testid=pixel-exclude]').addEventListener('click', () => this.#decide(g, 'exclude'));
    node.querySelector('.px-undo').addEventListener('click', () => {
      g.decision = null;
      g.decisionFrom = null;
      this.#updateGroup(g);
      this.#changed();
    });
    slider.addEventListener('input', () => this.#goFrame(g, Number(/** @type {HTMLInputElement} */ (slider).value) - 1));
    prev.addEventListener('click', () => this.#page(g, -1));
    next.addEventListener('click', () => this.#page(g, 1));
    node.querySelector('.px-add').addEventListener('click', () => {
      this.#addDefault(g);
      canvas.focus();
    });
    node.querySelector('.px-detected').addEventListener('click', () => {
      const det = (g.preview && g.preview.info.detected) || [];
      for (const [x, y, w, h] of det) g.rects.push([x - 4, y - 4, w + 8, h + 8]);
      g.rects = clipRegions(g.rects, s.columns, s.rows);
      g.selected = g.rects.length - 1;
      this.#edited(g);
    });
    node.querySelector('.px-remove').addEventListener('click', () => this.#removeSelected(g));
    this.#wireCanvas(g);
    this.#updateGroup(g);
    this.#updateFrames(g);
    return node;
  }

  #groupMessage(g, text, isError = false) {
    if (!g.node) return;
    const box = g.node.querySelector('.px-error');
    box.textContent = isError ? text : '';
    box.hidden = !isError || !text;
  }

  #updateGroup(g) {
    this.#updateCell(g);
    const node = g.node;
    if (!node) return;
    node.dataset.decision = g.decision || 'none';
    const status = node.querySelector('.px-status');
    status.textContent = g.decision
      ? `${t(`px.decided-${g.decision}`)}${g.decisionFrom ? t('px.from-rule', { name: g.decisionFrom }) : ''}`
      : t('px.undecided');
    for (const [testid, d] of [['pixel-clean', 'clean'], ['pixel-keep', 'keep'], ['pixel-exclude', 'exclude']]) {
      node.querySelector(`[data-testid=${testid}]`).setAttribute('aria-pressed', String(g.decision === d));
    }
    const file = g.files[g.shown];
    const fileLine = node.querySelector('.px-file');
    fileLine.replaceChildren(t('px.file-of', { k: g.shown + 1, n: g.files.length }), el('code', { text: file.path }));
    for (const [cls, off] of [['.px-prev', g.shown === 0], ['.px-next', g.shown >= g.files.length - 1], ['.px-remove', g.selected < 0], ['.px-detected', !(g.preview && g.preview.info.detected.length)]]) {
      const b = node.querySelector(cls);
      b.dataset.off = off ? '1' : '0';
      b.disabled = this.disabled || off;
    }
    const sel = g.rects[g.selected];
    node.querySelector('.px-rects').textContent = g.rects.length
      ? t('px.rects', { rects: count(g.rects.length, 'n.rectangles'), selected: sel ? t('px.rect-selected', { k: g.selected + 1, x: sel[0], y: sel[1], w: sel[2], h: sel[3] }) : t('px.rect-none') })
      : t('px.no-rect');
  }

  #page(g, step) {
    const k = Math.max(0, Math.min(g.files.length - 1, g.shown + step));
    if (k === g.shown) return;
    g.shown = k;
    g.frame = 0;
    this.#updateGroup(g);
    this.#updateFrames(g);
    this.#wantDetail(g);
  }

  /** The group's matching rule (from its preview), or why the image cannot be shown. */
  #showRule(g) {
    if (!g.node) return;
    const ruleCell = g.node.querySelector('.px-rule');
    if (g.previewError) {
      g.node.dataset.preview = 'error';
      this.#groupMessage(g, t('px.cannot-show', { message: g.previewError }), true);
      ruleCell.textContent = t('px.rule-unknown');
      return;
    }
    const info = g.preview && g.preview.info;
    if (!info) return;
    g.node.dataset.preview = 'drawn';
    g.node.dataset.frames = String(g.preview.frames);
    g.node.dataset.frame = String((g.imageFrame >= 0 ? g.imageFrame : 0) + 1);
    g.node.dataset.detected = String(info.detected.length);
    const regions = info.rule_regions.map((r) => `[${r.join(', ')}]`).join(' ');
    ruleCell.textContent = info.rule ? (regions ? t('px.rule-regions', { rule: info.rule, regions }) : info.rule) : t('px.rule-none');
  }

  // ------------------------------------------------------------ drawing and editing

  #draw(g) {
    const c = g.canvas;
    if (!c) return;
    const ctx = c.getContext('2d');
    ctx.clearRect(0, 0, c.width, c.height);
    if (g.image && g.imageOf === g.shown) ctx.drawImage(g.image, 0, 0);
    const line = Math.max(1, Math.round(Math.max(c.width, c.height) / 400));
    const info = g.preview && g.preview.info;
    if (info) {
      ctx.fillStyle = 'rgba(40, 140, 255, 0.35)';
      for (const [x, y, w, h] of info.rule_regions) ctx.fillRect(x, y, w, h);
      ctx.strokeStyle = '#ffd000';
      ctx.lineWidth = line;
      ctx.setLineDash([4 * line, 3 * line]);
      for (const [x, y, w, h] of info.detected) ctx.strokeRect(x + 0.5, y + 0.5, w - 1, h - 1);
      ctx.setLineDash([]);
    }
    g.rects.forEach(([x, y, w, h], i) => {
      ctx.fillStyle = 'rgba(230, 40, 40, 0.35)';
      ctx.fillRect(x, y, w, h);
      ctx.strokeStyle = i === g.selected ? '#ffffff' : '#e62828';
      ctx.lineWidth = (i === g.selected ? 2 : 1) * line;
      ctx.strokeRect(x + 0.5, y + 0.5, Math.max(0, w - 1), Math.max(0, h - 1));
      if (i === g.selected) {
        const k = 6 * line;
        ctx.fillStyle = '#ffffff';
        ctx.fillRect(x + w - k, y + h - k, k, k);
      }
    });
  }

  #edited(g) {
    this.#draw(g);
    this.#updateGroup(g);
    this.#changed();
  }

  #addDefault(g) {
    const { columns: w, rows: h } = g.signature;
    const size = [Math.max(1, Math.round(w)), Math.max(1, Math.round(h / 8))];
    g.rects.push([0, 0, size[0], size[1]]);
    g.selected = g.rects.length - 1;
    this.#edited(g);
  }

  #removeSelected(g) {
    if (g.selected < 0) return;
    g.rects.splice(g.selected, 1);
    g.selected = Math.min(g.selected, g.rects.length - 1);
    if (!g.rects.length && g.decision === 'clean') {
      g.decision = null;
      this.#groupMessage(g, 'The last rectangle was removed: the group is undecided again.', true);
    }
    this.#edited(g);
  }

  /** Image coordinates of a pointer event (snapped to the edges within 4 CSS pixels). */
  #point(g, e) {
    const r = g.canvas.getBoundingClientRect();
    const sx = g.canvas.width / r.width;
    const sy = g.canvas.height / r.height;
    let cx = e.clientX - r.left;
    let cy = e.clientY - r.top;
    if (cx < 4) cx = 0;
    if (cy < 4) cy = 0;
    if (cx > r.width - 4) cx = r.width;
    if (cy > r.height - 4) cy = r.height;
    return { x: Math.max(0, Math.min(g.canvas.width, Math.round(cx * sx))), y: Math.max(0, Math.min(g.canvas.height, Math.round(cy * sy))), tol: 8 * sx };
  }

  #wireCanvas(g) {
    const c = g.canvas;
    let drag = null;
    c.addEventListener('pointerdown', (e) => {
      if (this.disabled || e.button !== 0) return;
      e.preventDefault();
      c.focus();
      const p = this.#point(g, e);
      // A selected rectangle's bottom-right corner: resize; inside a rectangle: move; else draw.
      let hit = -1;
      let mode = 'draw';
      for (let i = g.rects.length - 1; i >= 0; i--) {
        const [x, y, w, h] = g.rects[i];
        if (Math.abs(p.x - (x + w)) <= p.tol && Math.abs(p.y - (y + h)) <= p.tol) {
          hit = i;
          mode = 'resize';
          break;
        }
        if (p.x >= x && p.x <= x + w && p.y >= y && p.y <= y + h) {
          hit = i;
          mode = 'move';
          break;
        }
      }
      if (mode === 'draw') {
        g.rects.push([p.x, p.y, 0, 0]);
        hit = g.rects.length - 1;
      }
      g.selected = hit;
      drag = { mode, start: p, orig: [...g.rects[hit]], index: hit };
      c.setPointerCapture(e.pointerId);
      this.#draw(g);
    });
    c.addEventListener('pointermove', (e) => {
      if (!drag) {
        if (!this.disabled) {
          const p = this.#point(g, e);
          const over = g.rects.findIndex(([x, y, w, h]) => p.x >= x && p.x <= x + w && p.y >= y && p.y <= y + h);
          const corner = g.rects.some(([x, y, w, h]) => Math.abs(p.x - (x + w)) <= p.tol && Math.abs(p.y - (y + h)) <= p.tol);
          c.style.cursor = corner ? 'nwse-resize' : over >= 0 ? 'move' : 'crosshair';
        }
        return;
      }
      const p = this.#point(g, e);
      const [x, y, w, h] = drag.orig;
      const W = c.width;
      const H = c.height;
      let r;
      if (drag.mode === 'draw') {
        r = [Math.min(drag.start.x, p.x), Math.min(drag.start.y, p.y), Math.abs(p.x - drag.start.x), Math.abs(p.y - drag.start.y)];
      } else if (drag.mode === 'move') {
        const nx = Math.max(0, Math.min(W - w, x + p.x - drag.start.x));
        const ny = Math.max(0, Math.min(H - h, y + p.y - drag.start.y));
        r = [nx, ny, w, h];
      } else {
        r = [x, y, Math.max(1, Math.min(W - x, w + p.x - drag.start.x)), Math.max(1, Math.min(H - y, h + p.y - drag.start.y))];
      }
      g.rects[drag.index] = r;
      this.#draw(g);
    });
    const end = (e) => {
      if (!drag) return;
      const d = drag;
      drag = null;
      if (c.hasPointerCapture(e.pointerId)) c.releasePointerCapture(e.pointerId);
      const [, , w, h] = g.rects[d.index];
      if (d.mode === 'draw' && (w < 2 || h < 2)) {
        // A click, not a drag: select what is under it instead.
        g.rects.splice(d.index, 1);
        g.selected = -1;
      }
      this.#edited(g);
    };
    c.addEventListener('pointerup', end);
    c.addEventListener('pointercancel', end);
    c.addEventListener('keydown', (e) => {
      if (this.disabled) return;
      const key = e.key;
      const W = c.width;
      const H = c.height;
      if (key === 'Escape' && g.cell) {
        g.cell.focus();
      } else if (key === 'n' || key === 'N') {
        this.#addDefault(g);
      } else if ((key === 's' || key === 'S') && g.rects.length) {
        g.selected = (g.selected + 1) % g.rects.length;
        this.#edited(g);
      } else if ((key === 'Delete' || key === 'Backspace') && g.selected >= 0) {
        this.#removeSelected(g);
      } else if (key.startsWith('Arrow') && g.selected >= 0) {
        const step = e.altKey ? 1 : Math.max(2, Math.round(Math.max(W, H) / 100));
        const dx = key === 'ArrowLeft' ? -step : key === 'ArrowRight' ? step : 0;
        const dy = key === 'ArrowUp' ? -step : key === 'ArrowDown' ? step : 0;
        let [x, y, w, h] = g.rects[g.selected];
        if (e.shiftKey) {
          w = Math.max(1, Math.min(W - x, w + dx));
          h = Math.max(1, Math.min(H - y, h + dy));
        } else {
          x = Math.max(0, Math.min(W - w, x + dx));
          y = Math.max(0, Math.min(H - h, y + dy));
        }
        g.rects[g.selected] = [x, y, w, h];
        this.#edited(g);
      } else {
        return;
      }
      e.preventDefault();
    });
  }
}

/** `v` as JSON text with the keys of every object sorted (two equal values, one text). */
function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

// Types of the <dicom-deid> element (dicom-deid-element.js).
import type { DeidDelivery, DeidDestination, DeidError, DeidOptions, DeidProgress, DeidResult, DeidSummary, SendProgress } from './dicom-deid.js';

/** Events of <dicom-deid>. */
export interface DicomDeidEventMap {
  progress: CustomEvent<DeidProgress>;
  done: CustomEvent<DeidSummary>;
  /** Also on cancel (code 'aborted'). */
  error: CustomEvent<DeidError>;
  'send-progress': CustomEvent<SendProgress>;
  /** The sending ended (done, cancelled or error). */
  sent: CustomEvent<DeidDelivery>;
}

/**
 * The element of dicom-deid-element.js. Attributes: `preset`, `id-prefix`, `stow-url`,
 * `stow-stream`. Styled through
 * --dicom-deid-font, --dicom-deid-fg, --dicom-deid-bg, --dicom-deid-accent,
 * --dicom-deid-accent-fg, --dicom-deid-muted, --dicom-deid-border, --dicom-deid-error,
 * --dicom-deid-radius, --dicom-deid-gap, and ::part(root | section | progress).
 */
export declare class DicomDeidElement extends HTMLElement {
  /** More configuration keys, under the preset and id-prefix attributes. */
  options: DeidOptions;
  /** The last run's result, or null. */
  readonly result: DeidResult | null;
  readonly state: 'loading' | 'idle' | 'running' | 'unsupported';
  /** Sets the project secret (text, as in a secret file). */
  set secret(text: string);
  /** Starts a run on the chosen files (as the Start button). */
  start(): Promise<void>;
  /** Cancels the running run. */
  cancel(): void;
  /** Where the written images go (the Send step is shown); credentials in its headers, never in an attribute. */
  destination: DeidDestination | null;
  /** Sends the last result's images to the destination (the Send button). */
  send(): Promise<unknown>;
  /** Cancels the sending under way. */
  cancelSend(): void;
  addEventListener<K extends keyof DicomDeidEventMap>(type: K, listener: (this: DicomDeidElement, ev: DicomDeidEventMap[K]) => unknown, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
}

declare global {
  interface HTMLElementTagNameMap {
    'dicom-deid': DicomDeidElement;
  }
}

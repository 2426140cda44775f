/**
 * Run requests on their way to the Session. Edits are debounced: a request waits until DEBOUNCE_MS have passed
 * without a newer one, so a burst of edits runs once, with the last values. The Run button and the start-up run go
 * at once. The Session cancels the run in progress when a request reaches it.
 */
import type { RunConfig } from '../model/config';
import type { MemoryOptions } from '../model/network';
import type { Outcome, Session } from '../session/session';

/** How long an edited request waits for the next edit. */
export const DEBOUNCE_MS = 300;

export interface RequestHandlers {
  /** `cfg` was handed to the Session (it runs once the cancelled run in progress, if any, has stopped). */
  onStart(cfg: RunConfig): void;
  /** The Session's outcome of `cfg`. */
  onOutcome(cfg: RunConfig, outcome: Outcome): void;
  /** Nothing is running or waiting any more. */
  onIdle(): void;
}

export class RunRequests {
  private timer: ReturnType<typeof setTimeout> | null = null;

  /** @param memory the memory options of each run, read when it is sent (e.g. { histograms: true }) */
  constructor(private readonly session: Session, private readonly handlers: RequestHandlers,
    private readonly memory: () => Partial<MemoryOptions> = () => ({})) {}

  /** True while a request is waiting (debounce) or running in the Session. */
  get busy(): boolean {
    return this.timer !== null || this.session.busy;
  }

  /**
   * Request a run of `cfg`: 'now', or 'debounced' (DEBOUNCE_MS after this call unless another request comes first).
   * Either way a request still waiting is dropped.
   */
  request(cfg: RunConfig, when: 'now' | 'debounced'): void {
    this.dropWaiting();
    if (when === 'now') {
      this.send(cfg);
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      this.send(cfg);
    }, DEBOUNCE_MS);
  }

  /** Drop a waiting request and cancel the run in progress (its outcome is 'cancelled'). */
  cancel(): void {
    this.dropWaiting();
    this.session.cancel();
    if (!this.busy) this.handlers.onIdle();
  }

  private dropWaiting(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private send(cfg: RunConfig): void {
    this.handlers.onStart(cfg);
    void this.session.request(cfg, this.memory()).then((outcome) => {
      this.handlers.onOutcome(cfg, outcome);
      if (!this.busy) this.handlers.onIdle();
    });
  }
}

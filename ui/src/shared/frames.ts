// Work done once per animation frame, whatever number of events asked for it: probe
// events (a light, a chart point, a sample) arrive one by one, several per second,
// and each used to repaint on its own. Pure logic with an injectable scheduler;
// unit-tested in frames.test.ts.

export type Schedule = (run: () => void) => void;

/** The browser's: the next animation frame (none while the window is hidden). */
export const nextFrame: Schedule = (run) => {
  requestAnimationFrame(() => run());
};

/**
 * Gathers items and hands them to `flush` together, once per frame. A window that is
 * hidden gets no frames: past `maxPending` items they are flushed at once, so what
 * waits stays bounded (the flush itself decides what to draw).
 */
export class PerFrame<T> {
  private items: T[] = [];
  private scheduled = false;

  constructor(
    private readonly flush: (items: T[]) => void,
    private readonly schedule: Schedule = nextFrame,
    private readonly maxPending = 500,
  ) {}

  push(item: T): void {
    this.items.push(item);
    if (this.items.length >= this.maxPending) this.run();
    else if (!this.scheduled) {
      this.scheduled = true;
      this.schedule(() => {
        this.scheduled = false;
        this.run();
      });
    }
  }

  private run(): void {
    if (this.items.length === 0) return;
    const items = this.items;
    this.items = [];
    this.flush(items);
  }
}

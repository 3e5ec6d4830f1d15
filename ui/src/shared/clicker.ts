// Presentation remotes and the keys that mean the same: Logitech R400/R800 send
// PageDown/PageUp, F5 and Esc alternately on one button, and `.` or `B` for blank;
// Spotlight sends Right/Left. PageDown/PageUp keep their meaning (next/back): remapping
// them breaks remotes (showoff #862).

import type { ClickerAction } from "./model";

export interface ClickerKey {
  key: string;
  ctrlKey: boolean;
  altKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
}

/** The clicker action of a key, or null. */
export function clickerAction(e: ClickerKey): ClickerAction | null {
  if (e.ctrlKey || e.altKey || e.metaKey) return null;
  switch (e.key) {
    case "PageDown":
    case "ArrowRight":
      return "advance";
    case "PageUp":
    case "ArrowLeft":
      return "back";
    case "F5":
      return "start";
    case "Escape":
      return "leaveFullscreen";
    case ".":
    case "b":
    case "B":
      return "blank";
    default:
      return null;
  }
}

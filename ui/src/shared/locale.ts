// Imported before any library that formats numbers at load time (uPlot builds an
// Intl.NumberFormat from navigator.language when its module loads). Under LANG=C,
// WebKitGTK reports a language tag Intl rejects ("c"), which would throw there and
// stop the whole window: fall back to a tag Intl accepts.

function usable(tag: string): boolean {
  try {
    new Intl.NumberFormat(tag);
    return true;
  } catch {
    return false;
  }
}

if (!usable(navigator.language)) {
  Object.defineProperty(navigator, "language", { value: "en-US", configurable: true });
}

export {};

// What the start page says about a recent runbook: when it was opened, and its path
// shortened the way a terminal user reads it.

/** "just now", "5 min ago", "3 h ago", "yesterday", "4 days ago", or the date. */
export function openedAgo(openedUnix: number, nowUnix: number): string {
  const s = Math.max(0, nowUnix - openedUnix);
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  const days = Math.floor(s / 86400);
  if (days === 1) return "yesterday";
  if (days < 30) return `${days} days ago`;
  return new Date(openedUnix * 1000).toISOString().slice(0, 10);
}

/** `path` with the home folder written `~`, and its folder apart from its file name. */
export function splitPath(path: string, home: string | null): { folder: string; file: string } {
  const shown = home && (path === home || path.startsWith(`${home}/`)) ? `~${path.slice(home.length)}` : path;
  const cut = shown.lastIndexOf("/");
  return cut < 0 ? { folder: "", file: shown } : { folder: shown.slice(0, cut + 1), file: shown.slice(cut + 1) };
}

/** The home folder, from the config folder's path (`/home/ann/.config/cuedeck`). */
export function homeOf(configDir: string | null): string | null {
  const m = configDir?.match(/^(\/(?:home\/[^/]+|root))(?:\/|$)/);
  return m?.[1] ?? null;
}

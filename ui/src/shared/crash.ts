// Imported first by main.ts: any uncaught error or rejected promise in the window is
// shown in the error panel (and the console), so a bug never leaves a blank window.

function show(message: string): void {
  const panel = document.getElementById("error");
  if (!panel) return;
  const line = document.createElement("p");
  line.className = "error-line";
  line.textContent = `Something went wrong in the window: ${message}`;
  panel.append(line);
  panel.hidden = false;
}

function describe(value: unknown): string {
  if (value instanceof Error) return value.stack ?? `${value.name}: ${value.message}`;
  if (typeof value === "object" && value !== null && "message" in value) return String(value.message);
  return String(value);
}

window.addEventListener("error", (e) => show(e.error === undefined ? e.message : describe(e.error)));
window.addEventListener("unhandledrejection", (e) => show(describe(e.reason)));

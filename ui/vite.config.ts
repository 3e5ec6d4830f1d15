/// <reference types="vitest/config" />
import { defineConfig } from "vite";

// The app embeds dist/ (Tauri's custom protocol); there is no dev server in the loop.
export default defineConfig({
  clearScreen: false,
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // WebKitGTK 2.4x / Safari 16+ / WebView2: all run ES2022.
    target: "es2022",
    sourcemap: true,
    // Two windows, two pages: the presenter's (index.html) and the audience's.
    rollupOptions: {
      input: {
        presenter: "index.html",
        audience: "audience.html",
      },
    },
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.ts"],
  },
});

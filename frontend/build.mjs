// Copy the browser files of our npm dependencies into the server's static folder.
//
// The web UI is plain ES modules of ours (src/trackstone/server/ui/static/js/) plus these
// vendor files; nothing is bundled. The output folder is gitignored and rebuilt by `make setup`
// whenever package-lock.json changes. `ready.json` tells the server the build finished.
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const output = join(here, "..", "src", "trackstone", "server", "ui", "static", "vendor");

// [file inside node_modules, name in the vendor folder]
const FILES = [
  ["uplot/dist/uPlot.esm.js", "uplot/uPlot.esm.js"],
  ["uplot/dist/uPlot.min.css", "uplot/uPlot.min.css"],
  ["uplot/LICENSE", "uplot/LICENSE"],
];

rmSync(output, { recursive: true, force: true });
for (const [source, target] of FILES) {
  const destination = join(output, target);
  mkdirSync(dirname(destination), { recursive: true });
  copyFileSync(join(here, "node_modules", source), destination);
}
writeFileSync(join(output, "ready.json"), JSON.stringify({ files: FILES.map((f) => f[1]) }) + "\n");
console.log(`copied ${FILES.length} vendor files into ${output}`);

// Relay's persisted-query manifest of the screens' operations (npm run persisted): relay-compiler
// with relay.persisted.config.json writes build/persisted-queries.json ({id: text}), the file a
// gateway in safelist mode is given. relay-compiler adds to the file it finds (and needs it to
// exist), so this starts it empty: the manifest then lists exactly the operations of this build.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const build = join(dirname(fileURLToPath(import.meta.url)), "..", "build");
mkdirSync(join(build, "relay-persisted-artifacts"), { recursive: true });
writeFileSync(join(build, "persisted-queries.json"), "{}\n");

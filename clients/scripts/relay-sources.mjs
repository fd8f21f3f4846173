// relay-compiler reads GraphQL only from graphql`...` tags in JavaScript/TypeScript modules, and
// names a module after its file. This writes build/relay-src/<Module>.ts for each
// operations/<Module>.graphql, one tag per definition, so that relay-compiler checks the same
// documents GraphQL Code Generator reads (npm run relay).
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse, print } from "graphql";

const here = join(dirname(fileURLToPath(import.meta.url)), "..");
const operations = join(here, "operations");
const build = join(here, "build");
const sources = join(build, "relay-src");
const artifacts = join(build, "relay-artifacts");
for (const folder of [sources, artifacts]) {
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
}

for (const file of readdirSync(operations).filter((name) => name.endsWith(".graphql")).sort()) {
  const module = file.replace(/\.graphql$/, "");
  const document = parse(readFileSync(join(operations, file), "utf8"));
  const tags = document.definitions.map(
    (definition) => `graphql\`\n${print(definition).replaceAll("`", "\\`")}\n\`;\n`,
  );
  writeFileSync(
    join(sources, `${module}.ts`),
    `// Generated from operations/${file} by scripts/relay-sources.mjs.\ndeclare function graphql(strings: TemplateStringsArray): unknown;\n\n${tags.join("\n")}`,
  );
}

// Validates Strimzi custom resources against the Strimzi CRD schemas (via kubernetes-models).
import { readFileSync } from "node:fs";
const docs = JSON.parse(readFileSync(0, "utf8"));
let bad = 0;
for (const { path, doc } of docs) {
  const [group, version] = doc.apiVersion.split("/");
  let Model;
  try {
    Model = (await import(`@kubernetes-models/strimzi-kafka-operator/${group}/${version}/${doc.kind}`))[doc.kind];
  } catch (e) { console.log(JSON.stringify({ path, kind: doc.kind, error: `no schema for ${doc.apiVersion} ${doc.kind}` })); bad++; continue; }
  try { new Model(doc).validate(); }
  catch (e) { bad++; console.log(JSON.stringify({ path, kind: doc.kind, name: doc.metadata?.name, error: String(e.message ?? e).slice(0, 2000) })); }
}
console.log(JSON.stringify({ checked: docs.length, bad }));
process.exit(bad ? 1 : 0);

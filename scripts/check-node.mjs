// The action runs on node24 and @kubernetes/client-node 2.x needs it: refuse to test on anything older,
// so a run that picked up the machine's Node instead of node_modules/.bin/node is caught at once.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(
    `Node ${process.versions.node} found; the tests need Node 24 (npm ci installs it into node_modules/.bin).`,
  );
  process.exit(2);
}

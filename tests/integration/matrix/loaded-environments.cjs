// Global teardown of an in-band run (the test files ran in this process): which
// jest-environment-node builds were loaded, for the outer test to check.
const fs = require('node:fs');

module.exports = () => {
  const loaded = Object.keys(require.cache).filter((file) => /[\\/]jest-environment-node[\\/]build[\\/]index\.js$/.test(file));
  fs.writeFileSync('loaded-environments.json', JSON.stringify(loaded));
};

'use strict';
// Mocha's spec reporter plus one plain closing line that CI reads: "tests: N passed, N failed, N skipped".
const Mocha = require('mocha');
const { EVENT_RUN_END } = Mocha.Runner.constants;

class GannetReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats ?? {};
      // Printed after the spec summary (process.nextTick lets Spec's epilogue go first).
      process.nextTick(() => {
        console.log(`tests: ${s.passes ?? 0} passed, ${s.failures ?? 0} failed, ${s.pending ?? 0} skipped`);
      });
    });
  }
}
module.exports = GannetReporter;

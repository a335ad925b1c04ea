// Preloaded (`node --require`) into every process the bench measures. At exit it writes to $BENCH_USAGE_FILE
// the process's CPU time (every thread: Jest, its reporter's thread) plus that of the child processes it waited
// for (Jest's `find` crawl of the project), and its peak RSS: what the operating system charged to the run.
const fs = require('node:fs');
const { isMainThread } = require('node:worker_threads');

/** CPU ms of the waited-for children, from /proc (Linux); 0 where there is no /proc. */
function childrenCpuMs() {
  try {
    // Fields after the command name: state is field 3, cutime field 16, cstime field 17, in ticks of 10 ms.
    const fields = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return 0;
  }
}

if (isMainThread && process.env.BENCH_USAGE_FILE) {
  const file = process.env.BENCH_USAGE_FILE;
  process.on('exit', () => {
    const usage = process.resourceUsage();
    const cpuMs = (usage.userCPUTime + usage.systemCPUTime) / 1000 + childrenCpuMs();
    fs.writeFileSync(file, JSON.stringify({ cpuMs, rssMiB: usage.maxRSS / 1024 }));
  });
}

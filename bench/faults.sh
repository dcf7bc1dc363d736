#!/usr/bin/env bash
# Kill loop: for each output, an export of N generated events is killed with SIGKILL at K seeded random
# points and restarted each time, then runs to the end; prints lost and repeated events and the duration.
#   bench/faults.sh                                   # 100,000 events, 20 kills, fluentd, s3 and file
#   bench/faults.sh --output=s3 --events=100000 --kills=20 --seed=42
# Exits 1 when an event was lost, or repeated beyond the contract (objects: never; Fluentd: a batch per kill).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f target/bench-classpath.txt ] || [ pom.xml -nt target/bench-classpath.txt ]; then
    mvn -q -B -ntp test-compile dependency:build-classpath -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test
fi
mvn -q -B -ntp test-compile
exec java -Xmx2g -cp "target/test-classes:target/classes:$(cat target/bench-classpath.txt)" dev.tee.bench.FaultBenchmark "$@"

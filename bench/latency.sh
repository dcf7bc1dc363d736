#!/usr/bin/env bash
# Live latency: events appended to a fake Teleport one at a time, timed until the Fluentd stand-in has them;
# and the exporter's start to its first read.
#   bench/latency.sh                                  # 300 events, one every 100 ms, timeout=1s, batch 20
#   bench/latency.sh --timeout=5s                     # the Go handler's default poll period
#   bench/latency.sh --jar=target/teleport-event-exporter.jar   # java -jar, as users run it (mvn package first)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f target/bench-classpath.txt ] || [ pom.xml -nt target/bench-classpath.txt ]; then
    mvn -q -B -ntp test-compile dependency:build-classpath -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test
fi
mvn -q -B -ntp test-compile
exec java -Xmx2g -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    -cp "target/test-classes:target/classes:$(cat target/bench-classpath.txt)" dev.tee.bench.LatencyBenchmark "$@"

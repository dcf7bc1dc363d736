#!/usr/bin/env bash
# What JMX and Prometheus route metrics cost per event, in one JVM (see RouteMetricsOverhead).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f target/bench-classpath.txt ] || [ pom.xml -nt target/bench-classpath.txt ]; then
    mvn -q -B -ntp test-compile dependency:build-classpath -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test
fi
mvn -q -B -ntp test-compile
exec java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    -cp "target/test-classes:target/classes:$(cat target/bench-classpath.txt)" dev.tee.bench.RouteMetricsOverhead "$@"

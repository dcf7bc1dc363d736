#!/usr/bin/env bash
# The exporter into real Fluentd 1.18 + fluent-plugin-s3 (../shared/tools/fluentd, on the fluent.conf
# configure writes) and on to S3Proxy, from a fake Teleport:
#   bench/real-fluentd.sh --events=100000 --days=3 --batch=20
#   bench/real-fluentd.sh --events=100000 --days=3 --batch=200
#   bench/real-fluentd.sh --events=100000 --days=3 --mode=single
# Prints events/s, the CPU the exporter and Fluentd used, and how long after the exporter had every
# event acknowledged the last minute object reached S3. Needs ../shared/tools/fluentd/install-deps once.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f target/bench-classpath.txt ] || [ pom.xml -nt target/bench-classpath.txt ]; then
    mvn -q -B -ntp test-compile dependency:build-classpath -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test
fi
mvn -q -B -ntp test-compile
exec java -Xmx8g -Dfluentd.tools="$PWD/../shared/tools/fluentd" \
    -cp "target/test-classes:target/classes:$(cat target/bench-classpath.txt)" dev.tee.bench.RealFluentdBenchmark "$@"

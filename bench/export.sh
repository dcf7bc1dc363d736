#!/usr/bin/env bash
# End-to-end export benchmark: fake Teleport -> exporter (child JVM) -> Fluentd stand-in or S3Proxy.
#   bench/export.sh --events=100000 --output=fluentd
#   bench/export.sh --events=1000000 --output=s3
#   bench/export.sh --events=1000000 --read=export --days=5   # the bulk export API
#   bench/export.sh --events=1000000 --jar=target/teleport-event-exporter.jar   # java -jar, as users run it (mvn package first)
#   bench/export.sh --events=200000 --batch=500 --output=python-fluentd   # issue 12's kit-like run: a Python Fluentd stand-in
#   bench/export.sh --events=20000 --pad=32768 --days=1   # large events (32 KiB more each): the in-flight byte budget
#   BENCH_JAVA_OPTS=-Dbench.putWarmUp=8 bench/export.sh --events=200000 --output=s3 --days=5   # the bare putter warmed longer
# Builds the test classes if needed; prints events/s and the exporter's peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f target/bench-classpath.txt ] || [ pom.xml -nt target/bench-classpath.txt ]; then
    mvn -q -B -ntp test-compile dependency:build-classpath -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test
fi
mvn -q -B -ntp test-compile
exec java -Xmx8g ${BENCH_JAVA_OPTS:-} -cp "target/test-classes:target/classes:$(cat target/bench-classpath.txt)" dev.tee.bench.ExportBenchmark "$@"

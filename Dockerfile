# teleport-event-exporter's runtime image. Build the jar first (mvn -B verify), then:
#   docker build -t teleport-event-exporter .
# docker-compose.yml builds it with UID and GID set to the owner of the files `configure` wrote,
# because the client key and the Teleport identity may be read by their owner only.
FROM eclipse-temurin:17-jre

ARG UID=10001
ARG GID=10001

# --non-unique: the base image already has a user 1000, the usual UID of the person who ran configure.
RUN groupadd --non-unique --gid "${GID}" exporter \
    && useradd --non-unique --uid "${UID}" --gid "${GID}" --no-create-home \
        --home-dir /var/lib/teleport-event-exporter --shell /usr/sbin/nologin exporter \
    && mkdir -p /app /config /var/lib/teleport-event-exporter \
    && chown "${UID}:${GID}" /var/lib/teleport-event-exporter \
    && chmod 0700 /var/lib/teleport-event-exporter

COPY target/teleport-event-exporter.jar /app/teleport-event-exporter.jar

USER ${UID}:${GID}
# Cursors and de-duplication state: losing them means exporting from start-time again.
VOLUME ["/var/lib/teleport-event-exporter"]

# A fixed heap: reading waits beyond 50,000 events, or an eighth of the heap's worth of them, in
# flight, so memory does not grow with the backlog (more only buys GC headroom). To change it, override the entrypoint: --entrypoint java ... -Xmx512m -jar ...
# The throughput collector: up to 20% less CPU per event than the JVM's default G1 (bench/README.md).
ENTRYPOINT ["java", "-Xmx160m", "-XX:+UseParallelGC", "-jar", "/app/teleport-event-exporter.jar"]
CMD ["start", "--config", "/config/application.properties"]

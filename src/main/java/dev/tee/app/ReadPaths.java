package dev.tee.app;

import static dev.tee.config.ConfigKey.PAGE_SIZE;
import static dev.tee.config.ConfigKey.TIMEOUT;
import static dev.tee.config.ConfigKey.TYPES;
import static dev.tee.config.ConfigKey.WINDOW_SIZE;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import dev.tee.config.ConfigException;
import dev.tee.config.ExporterConfig;
import dev.tee.source.AuditSource;
import dev.tee.source.ExportCursor;
import dev.tee.source.ExportReader;
import dev.tee.source.LegacyCursor;
import dev.tee.source.LegacySearchReader;
import dev.tee.state.DeliveryLedger;
import dev.tee.state.InFlight;
import dev.tee.state.StateDirectory;
import dev.tee.state.StateFile;
import dev.tee.teleport.RetryDelay;
import dev.tee.teleport.ServerStream;
import dev.tee.teleport.TeleportClient;
import dev.tee.teleport.TeleportException;
import dev.tee.teleport.proto.auditlog.EventExportChunk;
import dev.tee.teleport.proto.raw.RawExportEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses how to read the audit log, as the Go handler does: the bulk export API when Teleport has it
 * (probed with a listing two days ahead; UNIMPLEMENTED means it has not), else the search API.
 */
final class ReadPaths {

    private static final Logger LOG = LoggerFactory.getLogger(ReadPaths.class);
    static final String LEGACY_STATE = "legacy-cursor.json";
    static final String EXPORT_STATE = "export-cursor.json";
    private static final int BACKLOG_DAYS = 2;
    private static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(90);

    private ReadPaths() {
    }

    /**
     * The read path's name ({@code read-path} in the routes' preconditions: search or export), its
     * reader, how to save its cursor (the routes' {@code cursor} bean calls it), and how to stop it.
     */
    record ReadPath(String name, String beanName, Object reader, AuditSource source, Runnable saveState,
            AutoCloseable resource) {
    }

    static ReadPath open(ExporterConfig config, StateDirectory state, Instant startTime, TeleportClient teleport)
            throws InterruptedException {
        StateFile<LegacyCursor> legacy = new StateFile<>(state.file(LEGACY_STATE), LegacyCursor.class);
        StateFile<ExportCursor> export = new StateFile<>(state.file(EXPORT_STATE), ExportCursor.class);
        Optional<ExportCursor> savedExport = export.load();
        if (savedExport.isPresent() || bulkExportAvailable(teleport)) {
            ExportCursor resumeAt = savedExport.orElseGet(() -> legacy.load()
                    // an export that used the search API before goes on from the start of its window's day
                    .map(cursor -> ExportCursor.startingAt(utcDate(cursor.windowStart())))
                    .orElse(ExportCursor.startingAt(utcDate(startTime))));
            LOG.info("Reading with the bulk export API from {}", resumeAt.current());
            ExportReader reader = new ExportReader(exportApi(teleport), export, resumeAt,
                    new InFlight(InFlight.DEFAULT_LIMIT), BACKLOG_DAYS, config.duration(TIMEOUT), FIRST_BACKOFF,
                    MAX_BACKOFF, Clock.systemUTC());
            return new ReadPath("export", "exportReader", reader, reader, reader::flush, reader);
        }
        LegacyCursor resumeAt = legacy.load().orElse(LegacyCursor.startingAt(startTime));
        LOG.info("Reading with the search API from window {} (page key \"{}\", after event {})",
                resumeAt.windowStart(), resumeAt.pageKey(), resumeAt.lastEventId());
        DeliveryLedger<LegacyCursor> ledger = new DeliveryLedger<>(legacy::update, new InFlight(InFlight.DEFAULT_LIMIT));
        LegacySearchReader reader = new LegacySearchReader(teleport::getUnstructuredEvents, ledger, resumeAt,
                config.duration(WINDOW_SIZE), config.integer(PAGE_SIZE), config.list(TYPES), Clock.systemUTC());
        return new ReadPath("search", "auditReader", reader, reader, legacy::flush, () -> { });
    }

    /**
     * Lists the chunks of a date two days ahead (valid but empty even with some clock drift), as the
     * Go handler probes. Unreachable: wait and try again; UNIMPLEMENTED: no bulk export here; refused
     * (the role cannot list events): a configuration problem.
     */
    static boolean bulkExportAvailable(TeleportClient teleport) throws InterruptedException {
        RetryDelay backoff = RetryDelay.exponential(FIRST_BACKOFF, MAX_BACKOFF);
        while (true) {
            try (ServerStream<EventExportChunk> chunks = teleport.getEventExportChunks(Instant.now().plus(Duration.ofDays(2)))) {
                chunks.forEachRemaining(chunk -> { });
                return true;
            } catch (TeleportException e) {
                if (e.isUnimplemented()) {
                    LOG.info("Teleport has no bulk export API here ({}); using the search API", e.getMessage());
                    return false;
                }
                if (e.isRefusal()) {
                    // the role cannot read the audit log: at start, a configuration to fix, not an outage
                    throw new ConfigException(teleport.credentials().source().certificateKey() + ": " + e.getMessage()
                            + " (the identity in " + teleport.credentials().source().certificateFile() + ")", e);
                }
                if (!e.isRetryable()) {
                    throw e;
                }
                Duration wait = backoff.next();
                LOG.warn("Cannot probe Teleport's bulk export API: {}; trying again in {}s", e.getMessage(),
                        Math.max(1, wait.toSeconds()));
                Thread.sleep(wait.toMillis());
            }
        }
    }

    private static ExportReader.ExportApi exportApi(TeleportClient teleport) {
        return new ExportReader.ExportApi() {
            @Override
            public List<String> chunks(LocalDate date) {
                List<String> names = new ArrayList<>();
                try (ServerStream<EventExportChunk> chunks = teleport.getEventExportChunks(midnight(date))) {
                    chunks.forEachRemaining(chunk -> names.add(chunk.getChunk()));
                }
                return names;
            }

            @Override
            public ExportReader.ChunkStream export(LocalDate date, String chunk, String cursor) {
                ServerStream<RawExportEvent> stream = teleport.exportUnstructuredEvents(midnight(date), chunk, cursor);
                return new ExportReader.ChunkStream() {
                    @Override
                    public boolean hasNext() {
                        return stream.hasNext();
                    }

                    @Override
                    public RawExportEvent next() {
                        return stream.next();
                    }

                    @Override
                    public void close() {
                        stream.close();
                    }
                };
            }
        };
    }

    private static Instant midnight(LocalDate date) {
        return date.atStartOfDay(ZoneOffset.UTC).toInstant();
    }

    private static LocalDate utcDate(Instant instant) {
        return LocalDate.ofInstant(instant, ZoneOffset.UTC);
    }
}

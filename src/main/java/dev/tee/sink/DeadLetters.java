package dev.tee.sink;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Set;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.tee.event.AuditEvent;

/**
 * The dead-letter file {@code dead-letter.jsonl} in the state directory: one JSON line per event
 * an output refused for good (Fluentd's 4xx, a time Panther's layout cannot carry), so that nothing
 * is dropped silently (DESIGN.md §7). Audit events are sensitive,
 * so the file is created owner-only.
 */
public final class DeadLetters {

    public static final String FILE_NAME = "dead-letter.jsonl";

    private static final JsonFactory JSON = new JsonFactory();
    private static final Set<StandardOpenOption> APPEND =
            Set.of(StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);

    private final Path file;

    public DeadLetters(Path directory) {
        this.file = directory.resolve(FILE_NAME);
    }

    public Path file() {
        return file;
    }

    /**
     * Appends {@code {"time","status","response","url","event"}} for {@code event}; the event is
     * embedded as sent. {@code url} is where it was refused (a Fluentd URL, an S3 key prefix).
     */
    public synchronized void append(AuditEvent event, int status, String response, String url) {
        ByteArrayOutputStream line = new ByteArrayOutputStream(event.json().length + response.length() + 256);
        try (JsonGenerator json = JSON.createGenerator(line)) {
            json.writeStartObject();
            json.writeStringField("time", Instant.now().toString());
            json.writeNumberField("status", status);
            json.writeStringField("response", response);
            json.writeStringField("url", url);
            json.writeFieldName("event");
            json.writeRawValue(new String(event.json(), StandardCharsets.UTF_8));
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        line.write('\n');
        try {
            Files.createDirectories(file.getParent());
            try (OutputStream out = Channels.newOutputStream(open())) {
                line.writeTo(out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the dead letter for event " + event.id() + " to " + file, e);
        }
    }

    private SeekableByteChannel open() throws IOException {
        try {
            return Files.newByteChannel(file, APPEND,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            return Files.newByteChannel(file, APPEND);
        }
    }
}

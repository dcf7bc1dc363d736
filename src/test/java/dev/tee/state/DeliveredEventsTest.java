package dev.tee.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import com.google.protobuf.Struct;
import dev.tee.event.AuditEvent;
import dev.tee.event.Batch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeliveredEventsTest {

    @TempDir
    Path dir;

    @Test
    void remembersAcknowledgedEventsAcrossARestart() throws Exception {
        Path file = dir.resolve("delivered-ids");
        DeliveredEvents first = new DeliveredEvents(file, 1000);
        first.start();
        first.remember(batch("a", "b", "c"));
        first.stop(); // a crash leaves the same file: every batch is one completed append

        DeliveredEvents second = new DeliveredEvents(file, 1000);
        second.start();
        assertThat(second.contains("a")).isTrue();
        assertThat(second.contains("c")).isTrue();
        assertThat(second.contains("d")).isFalse();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        second.stop();
    }

    @Test
    void ignoresALineCutShortByACrash() throws Exception {
        Path file = dir.resolve("delivered-ids");
        Files.writeString(file, "a\nb\nhalf-writ", StandardCharsets.UTF_8);
        DeliveredEvents events = new DeliveredEvents(file, 1000);
        events.start();
        assertThat(events.contains("b")).isTrue();
        assertThat(events.contains("half-writ")).isFalse();
        events.stop();
    }

    @Test
    void keepsTwoSegmentsSoTheFileStaysBounded() throws Exception {
        Path file = dir.resolve("delivered-ids");
        DeliveredEvents events = new DeliveredEvents(file, 10);
        events.start();
        rememberEach(events, 0, 35);
        assertThat(events.contains("id-34")).isTrue();
        assertThat(events.contains("id-20")).isTrue();
        assertThat(events.contains("id-5")).isFalse();
        events.stop();
        assertThat(Files.readAllLines(file).size() + Files.readAllLines(dir.resolve("delivered-ids.1")).size())
                .isLessThanOrEqualTo(20);

        // after a restart the two segments are told apart again: the next rotation drops the older
        // (id-20 to id-29), keeps the newer (id-30 to id-34) with what followed it
        DeliveredEvents again = new DeliveredEvents(file, 10);
        again.start();
        assertThat(again.contains("id-20")).isTrue();
        assertThat(again.contains("id-5")).isFalse();
        rememberEach(again, 35, 45);
        assertThat(again.contains("id-29")).isFalse();
        assertThat(again.contains("id-30")).isTrue();
        assertThat(again.contains("id-44")).isTrue();
        again.stop();
    }

    /** Remembers id-{@code from} to id-{@code to - 1}, a batch each. */
    private static void rememberEach(DeliveredEvents events, int from, int to) {
        for (int i = from; i < to; i++) {
            events.remember(batch("id-" + i));
        }
    }

    private static Batch batch(String... ids) {
        List<AuditEvent> events = new ArrayList<>();
        for (String id : ids) {
            events.add(new AuditEvent(id, "user.login", Instant.EPOCH, 0, Struct.getDefaultInstance()));
        }
        return new Batch(events);
    }
}

package dev.tee.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tee.demo.DemoEnvironment;
import dev.tee.sink.s3.MinuteObject;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * One of the exporter's outputs in a {@link DemoEnvironment}: the settings that select it, and every
 * event id that has arrived there so far, repeats included. Objects never change once written, so the
 * S3 and file outputs read each object once and keep its ids.
 */
public abstract class Downstream implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    public static final String BUCKET = "panther-teleport";

    /** fluentd, s3 or file, as the {@code output} key names it. */
    public abstract String output();

    /** The keys that send the environment's exporter here (added to the environment's own). */
    public abstract Map<String, String> settings();

    /**
     * The settings of a run into here that exports from {@code start} in batches of {@code batch} and
     * exits after the last event, polling every 200 ms, without JMX, its management port anywhere free;
     * a mutable map, for more.
     */
    public Map<String, String> runToTheEnd(Instant start, int batch) {
        Map<String, String> settings = new HashMap<>(settings());
        settings.put("start-time", start.toString());
        settings.put("batch", Integer.toString(batch));
        settings.put("timeout", "200ms");
        settings.put("exit-on-last-event", "true");
        settings.put("management.port", "0");
        settings.put("jmx", "false");
        return settings;
    }

    /** Every event id received so far, in no particular order, each as often as it arrived. */
    public abstract List<String> ids();

    /** Where repeated ids arrived, for a failure message: empty where that is not known (Fluentd). */
    public String whereRepeated() {
        return "";
    }

    /** How many event ids arrived more than once (the surplus copies). */
    public int repeated() {
        List<String> ids = ids();
        return ids.size() - new HashSet<>(ids).size();
    }

    private final List<AutoCloseable> alsoClosed = new ArrayList<>();

    /** Closes {@code resource} (a proxy in front of the server, say) with this. */
    public Downstream closing(AutoCloseable resource) {
        alsoClosed.add(resource);
        return this;
    }

    @Override
    public void close() {
        for (AutoCloseable resource : alsoClosed) {
            try {
                resource.close();
            } catch (Exception e) {
                // closing the rest anyway
            }
        }
    }

    /** The environment's Fluentd stand-in; events are counted under {@link DemoEnvironment#AUDIT_TAG}. */
    public static Downstream fluentd(DemoEnvironment world) {
        return new Downstream() {
            @Override
            public String output() {
                return "fluentd";
            }

            @Override
            public Map<String, String> settings() {
                return Map.of("output", "fluentd");
            }

            @Override
            public List<String> ids() {
                return world.fluentd().eventIds(DemoEnvironment.AUDIT_TAG);
            }
        };
    }

    /** S3Proxy with a fresh bucket, reached at {@code endpoint} (the server's own, or a proxy in front of it). */
    public static Downstream s3(S3ProxyServer s3, String endpoint) {
        s3.createBucket(BUCKET);
        return new Objects() {
            @Override
            public String output() {
                return "s3";
            }

            @Override
            public Map<String, String> settings() {
                return Map.of("output", "s3",
                        "forward.s3.bucket", BUCKET,
                        "forward.s3.region", S3ProxyServer.REGION,
                        "forward.s3.endpoint", endpoint,
                        "forward.s3.path-style", "true",
                        "forward.s3.access-key-id", S3ProxyServer.ACCESS_KEY,
                        "forward.s3.secret-access-key", S3ProxyServer.SECRET_KEY,
                        "forward.s3.flush-delay", "1s");
            }

            /**
             * The objects' keys. S3Proxy's file stores write a PUT's body to {@code <key>-<uuid>} beside
             * the key, link it to the key, then delete it, and list it meanwhile (a TODO in its
             * AbstractNio2BlobStore.putBlob): read in that moment it is a whole object under a second
             * name, its events counted twice. Panther's keys end in {@code .gz}; those do not.
             */
            @Override
            List<String> keys() {
                return s3.client().listObjectsV2Paginator(b -> b.bucket(BUCKET)).contents().stream()
                        .map(S3Object::key).filter(key -> key.endsWith(".gz")).toList();
            }

            @Override
            byte[] read(String key) {
                try {
                    return s3.client().getObjectAsBytes(b -> b.bucket(BUCKET).key(key)).asByteArray();
                } catch (NoSuchKeyException e) {
                    return null;
                }
            }

            @Override
            public void close() {
                super.close();
                s3.close();
            }
        };
    }

    /** A directory (output=file); the temporary files of objects being written are not objects yet. */
    public static Downstream file(Path dir) {
        return new Objects() {
            @Override
            public String output() {
                return "file";
            }

            @Override
            public Map<String, String> settings() {
                return Map.of("output", "file", "forward.file.dir", dir.toString(), "forward.s3.flush-delay", "1s");
            }

            @Override
            List<String> keys() {
                if (!Files.isDirectory(dir)) {
                    return List.of();
                }
                // temporary files come and go while the walk passes them (several objects are written
                // at once): a file gone before its attributes are read is simply not there
                List<String> keys = new ArrayList<>();
                try {
                    Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                        @Override
                        public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
                            if (file.getFileName().toString().endsWith(".gz")) {
                                keys.add(dir.relativize(file).toString());
                            }
                            return FileVisitResult.CONTINUE;
                        }

                        @Override
                        public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                            if (e instanceof NoSuchFileException) {
                                return FileVisitResult.CONTINUE;
                            }
                            throw e;
                        }
                    });
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot list " + dir, e);
                }
                return keys;
            }

            @Override
            byte[] read(String key) {
                try {
                    return Files.readAllBytes(dir.resolve(key));
                } catch (NoSuchFileException e) {
                    return null;
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read " + key, e);
                }
            }
        };
    }

    /** Panther's objects: gzip JSON lines, each with the event's uid. */
    private abstract static class Objects extends Downstream {
        private final Map<String, List<String>> idsByKey = new HashMap<>();

        abstract List<String> keys();

        /** The object's body; null when the key is gone again. */
        abstract byte[] read(String key);

        @Override
        public synchronized List<String> ids() {
            for (String key : keys()) {
                if (!idsByKey.containsKey(key)) {
                    byte[] body = read(key);
                    try {
                        if (body != null) {
                            idsByKey.put(key, MinuteObject.lines(body).stream().map(Objects::uid).toList());
                        }
                    } catch (IllegalArgumentException e) {
                        // not whole yet (a file being written): read it again next time. (An object
                        // that stays unreadable leaves its events out of the count: they show as lost.)
                    }
                }
            }
            List<String> ids = new ArrayList<>();
            idsByKey.values().forEach(ids::addAll);
            return ids;
        }

        /** Up to ten repeated ids, each with the objects that hold it (and how often). */
        @Override
        public synchronized String whereRepeated() {
            ids();
            Map<String, List<String>> keysById = new HashMap<>();
            idsByKey.forEach((key, ids) -> ids.forEach(id -> keysById.computeIfAbsent(id, k -> new ArrayList<>()).add(key)));
            StringBuilder where = new StringBuilder();
            keysById.entrySet().stream().filter(e -> e.getValue().size() > 1).limit(10)
                    .forEach(e -> where.append(e.getKey()).append(" in ").append(e.getValue()).append("; "));
            return where.toString();
        }

        private static String uid(String line) {
            try {
                return JSON.readTree(line).get("uid").asText();
            } catch (IOException e) {
                throw new UncheckedIOException("not a JSON line: " + line, e);
            }
        }
    }
}

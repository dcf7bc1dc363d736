package dev.tee.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.tee.demo.DemoEnvironment;
import dev.tee.tls.Configure;

/**
 * bench/fluentd-standin.py as a child process, on the files {@code configure} writes (CA, server and
 * client certificates): the Python Fluentd stand-in of issue 12's kit-like run.
 */
final class PythonFluentd implements AutoCloseable {

    private static final Duration VALIDITY = Duration.ofDays(1);

    private final Process process;
    private final int port;
    private final URI count;
    private final Path dir;
    private final HttpClient http = HttpClient.newHttpClient();

    private PythonFluentd(Process process, int port, int countPort, Path dir) {
        this.process = process;
        this.port = port;
        this.count = URI.create("http://127.0.0.1:" + countPort + "/count");
        this.dir = dir;
    }

    static PythonFluentd start(Path dir) throws IOException {
        // the CA, server and client files `configure` writes for users (the server key under a passphrase)
        String passphrase = Configure.randomPassphrase();
        Configure.write(new Configure.Options(dir, Configure.DEFAULT_TELEPORT_ADDR, VALIDITY, List.of("localhost"),
                List.of("127.0.0.1"), 2048, false), passphrase);
        Path script = Path.of("bench", "fluentd-standin.py").toAbsolutePath();
        ProcessBuilder builder = new ProcessBuilder("python3", script.toString(),
                "--cert", dir.resolve(Configure.SERVER_CERT).toString(), "--key", dir.resolve(Configure.SERVER_KEY).toString(),
                "--ca", dir.resolve(Configure.CA_CERT).toString()).redirectError(dir.resolve("standin.log").toFile());
        builder.environment().put("STANDIN_KEY_PASSPHRASE", passphrase);
        Process process = builder.start();
        String line = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))
                .readLine();
        if (line == null || !line.startsWith("PORT ")) {
            process.destroyForcibly();
            throw new IOException("bench/fluentd-standin.py did not start (see " + dir.resolve("standin.log") + ")");
        }
        String[] ports = line.split(" ");
        return new PythonFluentd(process, Integer.parseInt(ports[1]), Integer.parseInt(ports[2]), dir);
    }

    /** The exporter's settings that send to this stand-in instead of the Java one. */
    Map<String, String> settings() {
        String base = "https://127.0.0.1:" + port + "/";
        return Map.of("forward.fluentd.url", base + DemoEnvironment.AUDIT_TAG,
                "forward.fluentd.session-url", base + "session",
                "forward.fluentd.ca", dir.resolve(Configure.CA_CERT).toString(),
                "forward.fluentd.cert", dir.resolve(Configure.CLIENT_CERT).toString(),
                "forward.fluentd.key", dir.resolve(Configure.CLIENT_KEY).toString());
    }

    /** Events and requests taken so far; zeros while it does not answer. */
    long[] counts() {
        try {
            String[] fields = http.send(HttpRequest.newBuilder(count).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.ofString()).body().strip().split(" ");
            return new long[] {Long.parseLong(fields[0]), Long.parseLong(fields[1])};
        } catch (IOException e) {
            return new long[] {0, 0};
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new long[] {0, 0};
        }
    }

    /** The stand-in's CPU time so far. */
    Duration cpu() {
        return process.info().totalCpuDuration().orElse(Duration.ZERO);
    }

    @Override
    public void close() {
        process.destroy();
    }
}

package dev.tee.app;

import java.io.IOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * The route files the jar carries, as an explicit list of {@code classpath:} locations for Camel's
 * routes include pattern. Camel resolves a wildcard such as {@code classpath:routes/*.yaml} by
 * reading the whole jar it is in, entry by entry, decompressing each: in our jar (38,000 entries)
 * that took 0.8 s, and Camel Main resolves the pattern twice at start (modeline pre-parsing, then
 * loading). A jar's central directory lists the same names in milliseconds.
 */
final class BundledRoutes {

    static final String DIRECTORY = "routes/";
    static final String SUFFIX = ".yaml";
    /** What Camel is given when the route files cannot be listed here: correct, only slower. */
    static final String WILDCARD = "classpath:" + DIRECTORY + "*" + SUFFIX;

    private BundledRoutes() {
    }

    /** The include pattern for every {@code routes/*.yaml} on {@code loader}'s class path, without a wildcard when it can. */
    static String includePattern(ClassLoader loader) {
        List<String> names = names(loader);
        if (names.isEmpty()) {
            return WILDCARD; // Camel reports what it cannot find, in its own words
        }
        return String.join(",", names.stream().map(name -> "classpath:" + DIRECTORY + name).toList());
    }

    /** The file names (no directory) of routes/*.yaml, sorted; empty when they cannot be listed. */
    static List<String> names(ClassLoader loader) {
        URL directory = loader.getResource(DIRECTORY);
        if (directory == null) {
            return List.of();
        }
        try {
            return switch (directory.getProtocol()) {
                case "file" -> inDirectory(Path.of(directory.toURI()));
                case "jar" -> inJar(directory);
                default -> List.of();
            };
        } catch (IOException | URISyntaxException | RuntimeException e) {
            return List.of();
        }
    }

    private static List<String> inDirectory(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.filter(Files::isRegularFile).map(file -> file.getFileName().toString())
                    .filter(name -> name.endsWith(SUFFIX)).sorted().toList();
        }
    }

    private static List<String> inJar(URL directory) throws IOException {
        JarURLConnection connection = (JarURLConnection) directory.openConnection();
        connection.setUseCaches(false); // our own JarFile, closed here, not the one Camel's jar: URLs share
        try (JarFile jar = connection.getJarFile()) {
            return jar.stream().map(entry -> entry.getName())
                    .filter(name -> name.startsWith(DIRECTORY) && name.endsWith(SUFFIX)
                            && name.indexOf('/', DIRECTORY.length()) < 0)
                    .map(name -> name.substring(DIRECTORY.length())).sorted().toList();
        }
    }
}

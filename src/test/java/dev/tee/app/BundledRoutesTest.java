package dev.tee.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BundledRoutesTest {

    @TempDir
    Path dir;

    @Test
    void aJarsRouteFilesAreNamedOneByOneSoCamelNeverScansTheJar() throws IOException {
        Path jar = jar("routes/", "routes/b.yaml", "routes/a.yaml", "routes/notes.txt", "routes/more/c.yaml",
                "other/d.yaml", "dev/tee/Some.class");
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
            assertThat(BundledRoutes.includePattern(loader))
                    .isEqualTo("classpath:routes/a.yaml,classpath:routes/b.yaml");
        }
    }

    @Test
    void aDirectoryOnTheClassPathIsListedTheSameWay() throws IOException {
        Path classes = dir.resolve("classes");
        Files.createDirectories(classes.resolve("routes/more"));
        for (String file : List.of("routes/z.yaml", "routes/y.yaml", "routes/notes.txt", "routes/more/c.yaml")) {
            Files.writeString(classes.resolve(file), "- route: {}\n");
        }
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, null)) {
            assertThat(BundledRoutes.includePattern(loader))
                    .isEqualTo("classpath:routes/y.yaml,classpath:routes/z.yaml");
        }
    }

    @Test
    void withoutARoutesDirectoryEntryCamelIsGivenTheWildcard() throws IOException {
        // a jar written without directory entries: nothing to list from, Camel's own scan still finds the files
        Path jar = jar("routes/a.yaml");
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
            assertThat(BundledRoutes.includePattern(loader)).isEqualTo(BundledRoutes.WILDCARD);
        }
    }

    @Test
    void theExportersOwnClassPathCarriesEveryFileOfTheRoutesDirectory() throws IOException {
        List<String> project;
        try (Stream<Path> files = Files.list(Path.of("routes"))) {
            project = files.map(file -> file.getFileName().toString()).filter(name -> name.endsWith(".yaml"))
                    .sorted().toList();
        }
        assertThat(project).contains("audit.yaml", "read-search.yaml", "deliver-fluentd.yaml");
        assertThat(BundledRoutes.names(ExporterApp.class.getClassLoader())).isEqualTo(project);
    }

    private Path jar(String... entries) throws IOException {
        Path jar = dir.resolve("app-" + entries.length + ".jar");
        try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file)) {
            for (String entry : entries) {
                out.putNextEntry(new JarEntry(entry));
                if (!entry.endsWith("/")) {
                    out.write("- route: {}\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
                }
                out.closeEntry();
            }
        }
        return jar;
    }
}
